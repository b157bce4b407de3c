// Package monitor owns a station's observability: Prometheus metrics of the
// frames it runs (github.com/prometheus/client_golang), a bounded history of
// frame reports, and a small HTTP server with /metrics, a live page
// embedded in the binary (/, charts and a table that update through
// server-sent events on /events), the history as JSON (/api/frames) and
// /healthz. It imports the roles' report types (alice.FrameReport,
// bob.Summary) and implements their observer interfaces; the roles never
// import it.
package monitor
