// Package browsertest holds the tests that drive a real, headless
// Chromium against the gateway and the demo backend: the demo page,
// cross-origin EventSource with credentials, reconnection with
// Last-Event-ID across a gateway restart, and cookie and token auth.
//
// They need Debian's chromium package (/usr/bin/chromium, or the path in
// SSEGW_CHROMIUM). Without it they skip, unless SSEGW_REQUIRE_CHROMIUM=1
// is set, as CI does, in which case they fail.
package browsertest
