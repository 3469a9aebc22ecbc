// Public API of @secdns/channel: named re-exports only.
export {}
