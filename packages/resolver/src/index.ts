// Public API of @secdns/resolver: named re-exports only.
export {}
