// Package servingprovider runs the provider workspace of the serving API: on the elected replica it creates
// root:serving, publishes there the APIResourceSchemas of serving.gantry.dev (from the CRDs in config/serving, each
// named by its content), the APIExport "serving" that any authenticated user may bind, an APIBinding of that export
// in root:serving itself, and the built-in ServingRuntimes (config/serving/runtimes) in its default namespace.
//
// A new binary whose serving types changed publishes schemas of new names and points the export at them, and every
// binding follows. Each start puts back what was edited or deleted in root:serving. The built-in WorkspaceType
// ml-team binds the export into every new workspace of its type. The flag --serving-provider turns it all off.
//
// It does not validate references between serving objects (admission), run services (the serving operator) nor
// compute health.
package servingprovider
