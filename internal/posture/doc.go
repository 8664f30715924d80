// Package posture owns Postern's device posture condition language: the
// conditions written in a policy file's "postures" section (Tailscale's
// syntax and semantics), their type checks against the attributes Postern
// knows, their evaluation against a device's attributes, the reasons a
// device fails a posture, and version comparison.
//
// It is pure: no I/O, no clock, no logging. The policy engine parses and
// checks conditions when it loads a policy and evaluates postures once per
// device.
//
// # Grammar
//
// One condition is one string. Spaces, tabs and newlines may appear
// between tokens; keywords (IN, NOT IN, IS SET, NOT SET) and the literals
// true and false are case-insensitive.
//
//	condition  = attribute [ operator-part ]
//	operator-part
//	           = compare-op scalar
//	           | ( "IN" | "NOT" "IN" ) list
//	           | "IS" "SET" | "NOT" "SET"
//	compare-op = "==" | "!=" | "<" | "<=" | ">" | ">="
//	attribute  = namespace ":" name
//	namespace  = letter { letter | digit | "_" }
//	name       = ( letter | digit | "_" ) { letter | digit | "_" | "." | "-" | ":" }
//	list       = "[" scalar { "," scalar } [ "," ] "]"
//	scalar     = string | number | "true" | "false"
//	string     = "'" { any byte but "'" } "'"
//	number     = [ "-" ] digit { digit } [ "." digit { digit } ]
//
// Strings have no escapes: a string literal cannot contain a single
// quote. Numbers are decimal, without exponents. A bare attribute (no
// operator) means attribute == true, as Tailscale's Fleet docs use
// "fleet:present".
//
// # Semantics
//
// A missing attribute fails every operator except NOT SET, even != and
// NOT IN: a device without custom:tier does not meet custom:tier != 'prod'.
// Equality compares kind and value, so the number 1 never equals the
// string '1'; on a version attribute (Attr.Version: node:osVersion,
// node:tsVersion, a provider's agent version) it compares as versions.
// Ordering compares numbers numerically and strings as versions
// (CompareVersions, which is Tailscale's cmpver: "1.9" < "1.40", and
// "1.40" < "1.40.0"). At Eval, a value of another kind than the literal
// fails every operator, and ordering on bools is false.
//
// # The catalogue
//
// Every attribute has one writer, which declares it in a Namespace: posture
// itself declares node:, ip: and custom: (Builtin), each posture provider
// its own. A Catalog gathers them, and Catalog.Check catches at policy load
// what Eval would only quietly fail: an unknown namespace, an unknown name
// in a closed namespace (with the nearest known name as a suggestion), an
// attribute nothing sets (ip:country), a literal whose type is not the
// attribute's, a string outside its declared values, and ordering on
// plain strings and bools. Open namespaces (custom:, a provider's
// per-policy names) accept any name; where they declare no type, ordering
// against a string literal compares versions.
package posture
