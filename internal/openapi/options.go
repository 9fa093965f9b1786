package openapi

import "google.golang.org/protobuf/encoding/protojson"

// Info is the description of the API as a whole.
type Info struct {
	// Title is the API's title (default "ssegw").
	Title string
	// Version is the version of the document (default "0").
	Version string
	// Description describes the API; CommonMark.
	Description string
	// Servers are the base URLs of the API. Without any, the document says
	// "/", relative to where the document was fetched from.
	Servers []Server
}

// Server is a base URL of the API.
type Server struct {
	URL         string `json:"url"`
	Description string `json:"description,omitempty"`
}

// Option configures Build.
type Option func(*config)

type config struct {
	marshal          protojson.MarshalOptions
	lastEventIDParam string
	requestParam     string
	tokenParam       string
}

func defaultConfig() config {
	return config{lastEventIDParam: "lastEventID", requestParam: "request"}
}

// WithMarshalOptions says how the gateway writes messages as JSON, so that
// the schemas match: UseProtoNames, UseEnumNumbers and EmitUnpopulated
// change them. Other fields are ignored.
func WithMarshalOptions(o protojson.MarshalOptions) Option {
	return func(c *config) { c.marshal = o }
}

// WithLastEventIDParam names the query parameter that carries a last event
// id (default "lastEventID").
func WithLastEventIDParam(name string) Option {
	return func(c *config) { c.lastEventIDParam = name }
}

// WithRequestParam names the query parameter that carries the whole
// request as JSON (default "request").
func WithRequestParam(name string) Option {
	return func(c *config) { c.requestParam = name }
}

// WithAccessTokenParam names the query parameter that carries an access
// token; without it the document lists none.
func WithAccessTokenParam(name string) Option {
	return func(c *config) { c.tokenParam = name }
}
