// Package health turns the downstream objects that serve a model (a Deployment, its pods and their containers)
// into one word a data scientist can act on: Healthy, Progressing, Degraded, Suspended, Missing or Unknown, with a
// reason and a message.
//
// The package knows nothing of Gantry's API types: the serving operator maps a Result into
// InferenceService.status.health and a Component tree into status.components[]. Each rule is a small function
// (DeploymentHealth, PodHealth, ContainerHealth); Evaluate builds the tree of one service in one cluster, and
// Aggregate merges trees from several clusters. When results are merged the worst state wins, in the order that
// Severity documents.
package health
