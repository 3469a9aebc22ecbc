// Public API of @secdns/dnssec: named re-exports only.
export {}
