package kubernetes

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime"
	genericapirequest "k8s.io/apiserver/pkg/endpoints/request"
	"k8s.io/apiserver/pkg/registry/rest"
	"k8s.io/kubernetes/pkg/api/legacyscheme"
	_ "k8s.io/kubernetes/pkg/apis/apps/install"
	_ "k8s.io/kubernetes/pkg/apis/batch/install"
	_ "k8s.io/kubernetes/pkg/apis/core/install"
	"k8s.io/kubernetes/pkg/registry/apps/deployment"
	"k8s.io/kubernetes/pkg/registry/batch/cronjob"
	"k8s.io/kubernetes/pkg/registry/batch/job"
	"k8s.io/kubernetes/pkg/registry/core/secret"
	"k8s.io/kubernetes/pkg/registry/core/service"

	"github.com/tend-pm/tend/internal/config"
	"github.com/tend-pm/tend/internal/export"
)

// TestManifestsValidate exports every ecosystem file of testdata (and
// the repository's examples) and runs each manifest through what the API
// server does on create: decode, default, convert, validate.
func TestManifestsValidate(t *testing.T) {
	files, _ := filepath.Glob("testdata/*.yaml")
	files = append(files, "../../examples/ecosystem.yaml", "../../examples/cluster.yaml")
	kinds := map[string]int{}
	for _, f := range files {
		res, err := config.Load(f, config.Options{})
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for _, a := range res.Apps {
			a.Canonicalize()
		}
		out, err := export.Kubernetes(res.Apps, "")
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for i, doc := range strings.Split(string(out), "\n---\n") {
			doc = strings.TrimPrefix(doc, "---\n")
			kind, err := validate(doc)
			if err != nil {
				t.Errorf("%s #%d (%s): %v\n%s", f, i, kind, err, doc)
			}
			kinds[kind]++
		}
	}
	for _, k := range []string{"Deployment", "Service", "Secret", "CronJob", "Job"} {
		if kinds[k] == 0 {
			t.Errorf("no %s was exported and validated (%v)", k, kinds)
		}
	}
	t.Logf("validated %v", kinds)
	// The control: what the API server refuses, this refuses.
	bad := strings.Replace(first(t), "name: db", "name: Bad_Name", 1)
	if _, err := validate(bad); err == nil || !strings.Contains(err.Error(), "Bad_Name") {
		t.Errorf("a Deployment named Bad_Name passed: %v", err)
	}
}

// first is the first manifest of testdata/stack.yaml (db's Deployment).
func first(t *testing.T) string {
	res, err := config.Load("testdata/stack.yaml", config.Options{})
	if err != nil {
		t.Fatal(err)
	}
	res.Apps[0].Canonicalize()
	out, err := export.Kubernetes(res.Apps[:1], "")
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimPrefix(strings.Split(string(out), "\n---\n")[0], "---\n")
}

// validate runs doc through the API server's create path: decode,
// default, convert, system fields, the request's namespace, the kind's
// PrepareForCreate, then its validation.
func validate(doc string) (kind string, err error) {
	obj, gvk, err := legacyscheme.Codecs.UniversalDeserializer().Decode([]byte(doc), nil, nil)
	if err != nil {
		return "", fmt.Errorf("decode: %w", err)
	}
	legacyscheme.Scheme.Default(obj)
	internal, err := legacyscheme.Scheme.ConvertToVersion(obj, gvk.GroupKind().WithVersion(runtime.APIVersionInternal).GroupVersion())
	if err != nil {
		return gvk.Kind, fmt.Errorf("convert: %w", err)
	}
	strategy, ok := strategies[gvk.Kind]
	if !ok {
		return gvk.Kind, fmt.Errorf("unexpected kind %s", gvk.Kind)
	}
	m, err := meta.Accessor(internal)
	if err != nil {
		return gvk.Kind, err
	}
	rest.FillObjectMetaSystemFields(m)
	m.SetNamespace("default")
	ctx := genericapirequest.WithNamespace(context.Background(), "default")
	ctx = genericapirequest.WithRequestInfo(ctx, &genericapirequest.RequestInfo{IsResourceRequest: true, Verb: "create",
		APIGroup: gvk.Group, APIVersion: gvk.Version, Resource: strings.ToLower(gvk.Kind) + "s", Namespace: "default"})
	return gvk.Kind, rest.BeforeCreate(strategy, ctx, internal)
}

// strategies are the API server's create strategies of the kinds export writes.
var strategies = map[string]rest.RESTCreateStrategy{
	"Deployment": deployment.Strategy,
	"Job":        job.Strategy,
	"CronJob":    cronjob.Strategy,
	"Service":    service.Strategy,
	"Secret":     secret.Strategy,
}
