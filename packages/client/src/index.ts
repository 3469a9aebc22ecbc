// Public API of @secdns/client: named re-exports only.
export {}
