// Package secret seals and opens secrets kept at rest, such as posture
// integration client secrets, with AES-256-GCM under one key that lives in
// the data dir (secret.key, mode 0600) or comes from POSTERN_SECRET_KEY.
//
// A sealed secret is text: "v1:" + key id + ":" + base64(nonce || ciphertext).
// The version and key id let a later release rotate keys and still tell
// which key sealed what.
package secret

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
)

// KeySize is the length of a key in bytes (AES-256).
const KeySize = 32

// version is the prefix of every sealed secret this package writes.
const version = "v1"

// Box seals and opens secrets under one key. It is safe for concurrent use.
type Box struct {
	aead  cipher.AEAD
	keyID string
}

// New returns a Box for a KeySize-byte key.
func New(key []byte) (*Box, error) {
	if len(key) != KeySize {
		return nil, fmt.Errorf("secret key is %d bytes, want %d", len(key), KeySize)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("create AES cipher: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("create AES-GCM: %w", err)
	}
	return &Box{aead: aead, keyID: keyID(key)}, nil
}

// keyID names a key without revealing it: 8 hex digits of a domain-separated
// SHA-256 of the key.
func keyID(key []byte) string {
	h := sha256.New()
	h.Write([]byte("postern secret key id\x00"))
	h.Write(key)
	return hex.EncodeToString(h.Sum(nil)[:4])
}

// KeyID names the Box's key in sealed secrets and error messages. It does
// not reveal the key.
func (b *Box) KeyID() string { return b.keyID }

// header is the authenticated prefix of a sealed secret.
func (b *Box) header() string { return version + ":" + b.keyID }

// Seal encrypts plaintext under a fresh random nonce and returns the sealed
// text. Sealing the same plaintext twice gives different texts.
func (b *Box) Seal(plaintext []byte) (string, error) {
	nonce := make([]byte, b.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return "", fmt.Errorf("read random nonce: %w", err)
	}
	hdr := b.header()
	out := b.aead.Seal(nonce, nonce, plaintext, []byte(hdr))
	return hdr + ":" + base64.RawStdEncoding.EncodeToString(out), nil
}

// ErrWrongKey is wrapped by Open's error when a secret was sealed under a
// different key than the Box's.
var ErrWrongKey = errors.New("sealed under a different key")

// Open decrypts a text returned by Seal. It fails if the text was sealed
// under another key, altered, or is not a sealed secret.
func (b *Box) Open(sealed string) ([]byte, error) {
	ver, rest, ok := strings.Cut(sealed, ":")
	if !ok || ver != version {
		return nil, fmt.Errorf("open sealed secret: unknown format (want prefix %q)", version+":")
	}
	kid, body, ok := strings.Cut(rest, ":")
	if !ok {
		return nil, fmt.Errorf("open sealed secret: missing key id")
	}
	if kid != b.keyID {
		return nil, fmt.Errorf("open sealed secret: key %s sealed it but the loaded key is %s (did POSTERN_SECRET_KEY or secret.key change?): %w", kid, b.keyID, ErrWrongKey)
	}
	raw, err := base64.RawStdEncoding.DecodeString(body)
	if err != nil {
		return nil, fmt.Errorf("open sealed secret: bad encoding: %w", err)
	}
	ns := b.aead.NonceSize()
	if len(raw) < ns+b.aead.Overhead() {
		return nil, fmt.Errorf("open sealed secret: too short")
	}
	pt, err := b.aead.Open(nil, raw[:ns], raw[ns:], []byte(b.header()))
	if err != nil {
		return nil, fmt.Errorf("open sealed secret: it was altered or sealed under another key: %w", err)
	}
	return pt, nil
}
