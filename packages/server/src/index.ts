// Public API of @secdns/server: named re-exports only.
export {}
