// Public API of @secdns/pki: named re-exports only.
export {}
