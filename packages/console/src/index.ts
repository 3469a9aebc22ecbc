// Public API of @secdns/console: the files the admin listener serves under /console/.
export { type ConsoleAsset, CONSOLE_PREFIX, loadConsoleAssets } from './assets.js'
