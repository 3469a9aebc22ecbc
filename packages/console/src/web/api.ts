/**
 * Calls to the admin API from the console: same-origin, the session cookie sent by the
 * browser, and the CSRF token in a header on every change.
 */

/** What `/console/api/session` says about the login. */
export interface SessionInfo { actor: string, via: string, csrf: string | null, canLogout: boolean }

let session: SessionInfo | undefined

/** An error answer of the admin API. */
export class ApiError extends Error {
  readonly status: number
  readonly code: string | undefined
  constructor(status: number, message: string, code?: string) {
    super(message)
    this.status = status
    this.code = code
  }
}

async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' }
  if (method !== 'GET') {
    if (session?.csrf != null) headers['x-csrf-token'] = session.csrf
    if (body !== undefined) headers['content-type'] = 'application/json'
  }
  const res = await fetch(path, { method, headers, credentials: 'same-origin', cache: 'no-store', ...(body === undefined ? {} : { body: JSON.stringify(body) }) })
  if (res.status === 401) {
    location.assign('/console/login')
    throw new ApiError(401, 'not logged in')
  }
  const data = await res.json().catch(() => ({})) as { error?: string, code?: string }
  if (!res.ok) throw new ApiError(res.status, data.error ?? `${method} ${path}: HTTP ${res.status}`, data.code)
  return data as T
}

/** GET a JSON endpoint. */
export function get<T>(path: string): Promise<T> { return call<T>('GET', path) }
/** POST JSON (with the CSRF token). */
export function post<T>(path: string, body?: unknown): Promise<T> { return call<T>('POST', path, body) }
/** DELETE (with the CSRF token). */
export function del<T>(path: string): Promise<T> { return call<T>('DELETE', path) }

/** Load the session (who is logged in, the CSRF token). */
export async function loadSession(): Promise<SessionInfo> {
  session = await get<SessionInfo>('/console/api/session')
  return session
}
