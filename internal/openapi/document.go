package openapi

// The objects of an OpenAPI 3.2 document that Build writes, with their
// members in the order the specification lists them.

type document struct {
	OpenAPI    string             `json:"openapi"`
	Info       info               `json:"info"`
	Servers    []Server           `json:"servers"`
	Tags       []tag              `json:"tags,omitempty"`
	Paths      *object[*pathItem] `json:"paths"`
	Components componentsObject   `json:"components"`
}

type info struct {
	Title       string `json:"title"`
	Description string `json:"description,omitempty"`
	Version     string `json:"version"`
}

type tag struct {
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
}

type pathItem struct {
	Get                  *operation          `json:"get,omitempty"`
	Put                  *operation          `json:"put,omitempty"`
	Post                 *operation          `json:"post,omitempty"`
	Delete               *operation          `json:"delete,omitempty"`
	Patch                *operation          `json:"patch,omitempty"`
	AdditionalOperations *object[*operation] `json:"additionalOperations,omitempty"`
}

type operation struct {
	Tags        []string           `json:"tags,omitempty"`
	Summary     string             `json:"summary,omitempty"`
	Description string             `json:"description,omitempty"`
	OperationID string             `json:"operationId"`
	Parameters  []*parameter       `json:"parameters,omitempty"`
	RequestBody *requestBody       `json:"requestBody,omitempty"`
	Responses   *object[*response] `json:"responses"`
	Deprecated  bool               `json:"deprecated,omitempty"`
}

type parameter struct {
	Name          string  `json:"name"`
	In            string  `json:"in"`
	Description   string  `json:"description,omitempty"`
	Required      bool    `json:"required,omitempty"`
	Deprecated    bool    `json:"deprecated,omitempty"`
	Style         string  `json:"style,omitempty"`
	Explode       *bool   `json:"explode,omitempty"`
	AllowReserved bool    `json:"allowReserved,omitempty"`
	Schema        *Schema `json:"schema"`
}

type requestBody struct {
	Description string              `json:"description,omitempty"`
	Content     *object[*mediaType] `json:"content"`
}

type mediaType struct {
	Schema     *Schema `json:"schema,omitempty"`
	ItemSchema *Schema `json:"itemSchema,omitempty"`
}

type response struct {
	Ref         string              `json:"$ref,omitempty"`
	Description string              `json:"description,omitempty"`
	Headers     *object[*header]    `json:"headers,omitempty"`
	Content     *object[*mediaType] `json:"content,omitempty"`
}

type header struct {
	Description string  `json:"description,omitempty"`
	Schema      *Schema `json:"schema"`
}

type componentsObject struct {
	Schemas   *object[*Schema]   `json:"schemas,omitempty"`
	Responses *object[*response] `json:"responses,omitempty"`
}

// content returns a content map of one media type.
func content(mediaTypeName string, mt *mediaType) *object[*mediaType] {
	c := &object[*mediaType]{}
	c.set(mediaTypeName, mt)
	return c
}
