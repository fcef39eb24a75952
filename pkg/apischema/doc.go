// Package apischema converts between APIResourceSchemas and CustomResourceDefinitions: a schema is validated as
// the CRD it would be, a bound resource is served as a CRD, and `kubectl gantry schema from-crd` goes the other
// way.
//
// It holds pure conversions and validation only: it does not store schemas (pkg/registry), decide what a
// binding serves (pkg/apibinding) or serve anything (pkg/customresources).
package apischema
