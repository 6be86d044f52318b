// Package dotenv reads .env files with Node's semantics: Parse follows the
// npm package dotenv (17.2) and Expand follows dotenv-expand (12.0),
// quirks included, so a file means to tend what it means to a Node app.
// Both are checked against golden files those packages wrote
// (testdata/gen.js). Where the JavaScript would loop forever (a value that
// keeps expanding into itself), Expand stops after a bound instead.
//
// Godotenv is not used: it differs from Node in several of these cases.
package dotenv
