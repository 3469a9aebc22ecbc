// Public API of @secdns/zone: named re-exports only.
export {}
