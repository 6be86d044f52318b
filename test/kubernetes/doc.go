// Package kubernetes holds one test: the manifests of tend export
// kubernetes pass Kubernetes' own validation. It is a module of its own
// so that Kubernetes' code never enters the product's dependencies.
package kubernetes
