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
	buf := c.buffer()
	defer c.bufs.Put(buf)
	if err := json.NewEncoder(buf).Encode(v); err != nil {
		return fmt.Errorf("encode answer: %w", err)
	}
	Write(w, status, contentType, f.Cut(buf.Bytes()))
	return nil
}

// WriteAppended answers status with the body build appends to the empty
// slice it is given, as contentType, cut in half if f truncates. It is
// for answers a fake assembles by hand; the slice's memory is pooled.
func (c *Core) WriteAppended(w http.ResponseWriter, status int, contentType string, f *fault.Fault, build func([]byte) []byte) {
	buf := c.buffer()
	defer c.bufs.Put(buf)
	buf.Write(build(buf.AvailableBuffer()))
	Write(w, status, contentType, f.Cut(buf.Bytes()))
}

// buffer returns an empty buffer from the pool.
func (c *Core) buffer() *bytes.Buffer {
	buf, _ := c.bufs.Get().(*bytes.Buffer)
	if buf == nil {
		buf = new(bytes.Buffer)
	}
	buf.Reset()
	return buf
}
