package fakehttp

import (
	"net/http"
	"strconv"
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
