// Public API of @secdns/wire: named re-exports only.
export {}
