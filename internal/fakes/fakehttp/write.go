package fakehttp

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"

	"github.com/postern/postern/internal/fakes/fault"
)

// The content types vendors answer with.
const (
	JSON     = "application/json"
	JSONUTF8 = "application/json; charset=utf-8"
	HTML     = "text/html; charset=utf-8"
)

// Write answers status with the whole of body as contentType, declaring
// its Content-Length.
func Write(w http.ResponseWriter, status int, contentType string, body []byte) {
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	w.Write(body)
}

// WriteString is Write for a body held as a string.
func WriteString(w http.ResponseWriter, status int, contentType, body string) {
	Write(w, status, contentType, []byte(body))
}

// WriteJSON answers status with v encoded as JSON of contentType, cut in
// half if f truncates. It writes nothing and returns the error if v does
// not encode, so the fake can answer with its vendor's error body.
// Buffers are pooled so that serving large listings costs the fake
// little memory.
func (c *Core) WriteJSON(w http.ResponseWriter, status int, contentType string, v any, f *fault.Fault) error {
	buf, _ := c.bufs.Get().(*bytes.Buffer)
	if buf == nil {
		buf = new(bytes.Buffer)
	}
	defer c.bufs.Put(buf)
	buf.Reset()
	if err := json.NewEncoder(buf).Encode(v); err != nil {
		return fmt.Errorf("encode answer: %w", err)
	}
	Write(w, status, contentType, f.Cut(buf.Bytes()))
	return nil
}
