/** The login page: say so when the last token was not accepted. */
if (new URLSearchParams(location.search).has('failed')) document.getElementById('failed')!.hidden = false
export {}
