// Package servingresolve holds the rules that turn an InferenceService's spec into what runs: which Model version
// its modelRef means, and which ServingRuntime serves it. Admission in Gantry (to refuse what cannot run, naming the
// field and the fix) and the serving operator in each compute cluster (to build the Deployment) use the same rules,
// so that what admission accepts is exactly what the operator can serve.
package servingresolve
