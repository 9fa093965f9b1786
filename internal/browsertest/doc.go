// Package browsertest holds the tests that drive a real, headless
// Chromium against the gateway and the demo backend: the demo page,
// cross-origin EventSource with credentials, reconnection with
// Last-Event-ID across a gateway restart, cookie and token auth, and
// EventSource events checked against the itemSchema of the OpenAPI
// document the gateway serves.
//
// They need Debian's chromium package (/usr/bin/chromium, or the path in
// SSEGW_CHROMIUM). Without it they skip, unless SSEGW_REQUIRE_CHROMIUM=1
// is set, as CI does, in which case they fail.
package browsertest
