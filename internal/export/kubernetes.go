package export

import (
	"bytes"
	"fmt"
	"maps"
	"math"
	"net"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/tend-pm/tend/internal/spec"
)

// Kubernetes writes manifests that run apps as tend would, on a cluster:
// per app a Deployment (replicas from instances; a Job for a one-shot
// app, a CronJob for a job), a Service for its TCP listen: ports, and a
// Secret for its secret values, which the pods read by secretKeyRef.
// Probes become liveness and readiness probes, limits and
// max_memory_restart resources, kill_timeout the grace period. What
// Kubernetes has no word for (depends_on's order, env_file, a unix
// socket) is said in an annotation and in the header of the app's part.
// image is the container image to name ("" names APP:latest).
func Kubernetes(apps []*spec.App, image string) ([]byte, error) {
	var out bytes.Buffer
	for _, a := range apps {
		docs, notes, err := kubeApp(a, image)
		if err != nil {
			return nil, fmt.Errorf("export %s: %w", a.Name, err)
		}
		for _, d := range docs {
			fmt.Fprintf(&out, "---\n# From app %q, exported by tend.\n", a.Name)
			for _, n := range notes {
				fmt.Fprintf(&out, "# %s\n", n)
			}
			notes = nil // once per app
			enc := yaml.NewEncoder(&out)
			enc.SetIndent(2)
			if err := enc.Encode(d); err != nil {
				return nil, err
			}
			enc.Close()
		}
	}
	return out.Bytes(), nil
}

// kubeName is name as a Kubernetes object name (RFC 1123 label):
// lowercase, '.' and '_' as '-', at most 63 characters.
func kubeName(name string) string {
	n := strings.ToLower(strings.NewReplacer(".", "-", "_", "-").Replace(name))
	n = strings.Trim(n, "-")
	if len(n) > 63 {
		n = strings.TrimRight(n[:63], "-")
	}
	return n
}

type meta struct {
	Name        string            `yaml:"name,omitempty"`
	Labels      map[string]string `yaml:"labels,omitempty"`
	Annotations map[string]string `yaml:"annotations,omitempty"`
}

type object struct {
	APIVersion string            `yaml:"apiVersion"`
	Kind       string            `yaml:"kind"`
	Metadata   meta              `yaml:"metadata"`
	Type       string            `yaml:"type,omitempty"`
	StringData map[string]string `yaml:"stringData,omitempty"`
	Spec       any               `yaml:"spec,omitempty"`
}

type labelSelector struct {
	MatchLabels map[string]string `yaml:"matchLabels"`
}

type podTemplate struct {
	Metadata meta    `yaml:"metadata"`
	Spec     podSpec `yaml:"spec"`
}

type podSpec struct {
	RestartPolicy                 string      `yaml:"restartPolicy,omitempty"`
	TerminationGracePeriodSeconds *int64      `yaml:"terminationGracePeriodSeconds,omitempty"`
	Containers                    []container `yaml:"containers"`
}

type container struct {
	Name           string          `yaml:"name"`
	Image          string          `yaml:"image"`
	Command        []string        `yaml:"command"`
	WorkingDir     string          `yaml:"workingDir,omitempty"`
	Env            []envVar        `yaml:"env,omitempty"`
	Ports          []containerPort `yaml:"ports,omitempty"`
	Resources      *resources      `yaml:"resources,omitempty"`
	LivenessProbe  *probe          `yaml:"livenessProbe,omitempty"`
	ReadinessProbe *probe          `yaml:"readinessProbe,omitempty"`
}

type envVar struct {
	Name      string     `yaml:"name"`
	Value     *string    `yaml:"value,omitempty"`
	ValueFrom *valueFrom `yaml:"valueFrom,omitempty"`
}

type valueFrom struct {
	SecretKeyRef struct {
		Name string `yaml:"name"`
		Key  string `yaml:"key"`
	} `yaml:"secretKeyRef"`
}

type containerPort struct {
	Name          string `yaml:"name,omitempty"`
	ContainerPort int    `yaml:"containerPort"`
	Protocol      string `yaml:"protocol"`
}

type resources struct {
	Limits   map[string]string `yaml:"limits,omitempty"`
	Requests map[string]string `yaml:"requests,omitempty"`
}

type probe struct {
	HTTPGet             *httpGet   `yaml:"httpGet,omitempty"`
	TCPSocket           *tcpSocket `yaml:"tcpSocket,omitempty"`
	Exec                *execCmd   `yaml:"exec,omitempty"`
	InitialDelaySeconds int        `yaml:"initialDelaySeconds,omitempty"`
	PeriodSeconds       int        `yaml:"periodSeconds"`
	TimeoutSeconds      int        `yaml:"timeoutSeconds"`
	FailureThreshold    int        `yaml:"failureThreshold"`
	SuccessThreshold    int        `yaml:"successThreshold"`
}

type httpGet struct {
	Path        string       `yaml:"path"`
	Port        int          `yaml:"port"`
	Scheme      string       `yaml:"scheme"`
	HTTPHeaders []httpHeader `yaml:"httpHeaders,omitempty"`
}

type httpHeader struct {
	Name  string `yaml:"name"`
	Value string `yaml:"value"`
}

type tcpSocket struct {
	Port int `yaml:"port"`
}

type execCmd struct {
	Command []string `yaml:"command"`
}

func kubeApp(a *spec.App, image string) (docs []object, notes []string, err error) {
	name := kubeName(a.Name)
	if name == "" {
		return nil, nil, fmt.Errorf("name %q has no letter or digit Kubernetes can name it by", a.Name)
	}
	if name != a.Name {
		notes = append(notes, fmt.Sprintf("Named %s: Kubernetes names are lowercase, with - for . and _.", name))
	}
	labels := map[string]string{"app.kubernetes.io/name": name, "app.kubernetes.io/managed-by": "tend-export"}
	annotations := map[string]string{}
	if deps := a.Dependencies(); len(deps) > 0 {
		words := make([]string, len(deps))
		for i, d := range deps {
			words[i] = d.String()
		}
		annotations["tend.dev/depends-on"] = strings.Join(words, ", ")
		notes = append(notes, "depends_on ("+strings.Join(words, ", ")+") has no Kubernetes equivalent: pods start in any order.",
			"Have the pod wait (an initContainer that polls the dependency's Service), or rely on the readiness probes and restarts.")
	}
	if len(a.EnvFile) > 0 {
		notes = append(notes, "env_file ("+strings.Join(a.EnvFile, ", ")+") is not read here: put its variables in a ConfigMap or Secret.")
	}
	if a.Pool != nil {
		notes = append(notes, "pool: a Deployment has no task queue. Run tend run in the pod with this pool and a consumer that feeds it from a durable queue (docs/pool.md, Beyond one machine).")
	}
	if image == "" {
		image = name + ":latest"
		notes = append(notes, "image: "+image+" stands for an image that holds the app and its runtime; build one, or pass --image.")
	}

	c := container{Name: name, Image: image, Command: a.Argv(), WorkingDir: a.Cwd}
	env := map[string]string{}
	maps.Copy(env, a.Env)
	maps.Copy(env, a.ProfileEnv())
	secret := map[string]string{}
	for _, k := range slices.Sorted(maps.Keys(env)) {
		v := env[k]
		if a.IsSecret(k, v) {
			secret[k] = v
			ev := envVar{Name: k, ValueFrom: &valueFrom{}}
			ev.ValueFrom.SecretKeyRef.Name, ev.ValueFrom.SecretKeyRef.Key = name+"-env", k
			c.Env = append(c.Env, ev)
			continue
		}
		c.Env = append(c.Env, envVar{Name: k, Value: &v})
	}
	appName := a.Name
	c.Env = append(c.Env, envVar{Name: "TEND_APP", Value: &appName})

	var svcPorts []servicePort
	for _, l := range a.Listen {
		network, address, err := spec.ParseListen(l)
		if err != nil {
			return nil, nil, err
		}
		if network == "unix" {
			notes = append(notes, "listen "+l+": a unix socket is not exported (a pod serves on TCP).")
			continue
		}
		_, portText, _ := net.SplitHostPort(address)
		port, _ := strconv.Atoi(portText)
		if port == 0 {
			notes = append(notes, "listen "+l+": port 0 (the kernel's choice) has no Service port; declare one.")
			continue
		}
		pname := "tcp-" + portText
		c.Ports = append(c.Ports, containerPort{Name: pname, ContainerPort: port, Protocol: "TCP"})
		svcPorts = append(svcPorts, servicePort{Name: pname, Port: port, TargetPort: port, Protocol: "TCP"})
	}
	portVar := env["PORT"] // what ${PORT} in a probe is
	if len(svcPorts) == 1 {
		p := strconv.Itoa(svcPorts[0].Port)
		c.Env = append(c.Env, envVar{Name: "PORT", Value: &p})
		portVar = p
	}

	res := &resources{Limits: map[string]string{}, Requests: map[string]string{}}
	switch {
	case a.MemoryMax > 0:
		res.Limits["memory"] = strconv.FormatInt(int64(a.MemoryMax), 10)
	case a.MaxMemoryRestart > 0:
		res.Limits["memory"] = strconv.FormatInt(int64(a.MaxMemoryRestart), 10)
		notes = append(notes, "max_memory_restart "+a.MaxMemoryRestart.String()+" is the memory limit: the kubelet kills and restarts over it, without a graceful stop.")
	}
	if a.MemoryHigh > 0 {
		res.Requests["memory"] = strconv.FormatInt(int64(a.MemoryHigh), 10)
	}
	if cores, err := a.CPUCores(); err == nil && cores > 0 {
		res.Limits["cpu"] = strconv.Itoa(int(math.Ceil(cores*1000))) + "m"
	}
	if len(res.Limits)+len(res.Requests) > 0 {
		c.Resources = res
	}
	if a.PidsMax > 0 {
		notes = append(notes, fmt.Sprintf("pids_max %d is the kubelet's (--pod-max-pids), not the pod's.", a.PidsMax))
	}
	if a.Health != nil {
		if c.LivenessProbe, err = kubeProbe(a.Health, true, portVar); err != nil {
			return nil, nil, fmt.Errorf("health: %w", err)
		}
	}
	if a.Readiness != nil {
		if c.ReadinessProbe, err = kubeProbe(a.Readiness, false, portVar); err != nil {
			return nil, nil, fmt.Errorf("readiness: %w", err)
		}
	}
	if a.User != "" {
		notes = append(notes, "user "+a.User+": set the pod's securityContext.runAsUser to its uid in the image.")
	}
	grace := int64(math.Ceil(a.KillTimeout.D().Seconds()))
	pod := podTemplate{Metadata: meta{Labels: labels}, Spec: podSpec{TerminationGracePeriodSeconds: &grace, Containers: []container{c}}}
	if len(annotations) == 0 {
		annotations = nil
	}
	m := meta{Name: name, Labels: labels, Annotations: annotations}

	if len(secret) > 0 {
		docs = append(docs, object{APIVersion: "v1", Kind: "Secret", Metadata: meta{Name: name + "-env", Labels: labels}, Type: "Opaque", StringData: secret})
	}
	switch {
	case a.IsJob():
		cj, err := cronJob(a, pod)
		if err != nil {
			return nil, nil, err
		}
		docs = append(docs, object{APIVersion: "batch/v1", Kind: "CronJob", Metadata: m, Spec: cj})
	case a.Autorestart == spec.RestartNever:
		pod.Spec.RestartPolicy = "Never"
		backoff := 0
		docs = append(docs, object{APIVersion: "batch/v1", Kind: "Job", Metadata: m, Spec: jobSpec{BackoffLimit: &backoff, Template: pod}})
	default:
		if a.Autorestart == spec.RestartOnFailure {
			notes = append(notes, "autorestart on-failure: a Deployment's pods always restart; a clean exit restarts too.")
		}
		pod.Spec.RestartPolicy = "Always"
		replicas := a.Instances
		docs = append(docs, object{APIVersion: "apps/v1", Kind: "Deployment", Metadata: m,
			Spec: deploymentSpec{Replicas: &replicas, Selector: labelSelector{MatchLabels: map[string]string{"app.kubernetes.io/name": name}}, Template: pod}})
	}
	if len(svcPorts) > 0 {
		docs = append(docs, object{APIVersion: "v1", Kind: "Service", Metadata: meta{Name: name, Labels: labels},
			Spec: serviceSpec{Selector: map[string]string{"app.kubernetes.io/name": name}, Ports: svcPorts}})
	}
	return docs, notes, nil
}

type deploymentSpec struct {
	Replicas *int          `yaml:"replicas"`
	Selector labelSelector `yaml:"selector"`
	Template podTemplate   `yaml:"template"`
}

type jobSpec struct {
	BackoffLimit          *int        `yaml:"backoffLimit,omitempty"`
	ActiveDeadlineSeconds *int64      `yaml:"activeDeadlineSeconds,omitempty"`
	Template              podTemplate `yaml:"template"`
}

type cronJobSpec struct {
	Schedule                string  `yaml:"schedule"`
	TimeZone                *string `yaml:"timeZone,omitempty"`
	ConcurrencyPolicy       string  `yaml:"concurrencyPolicy"`
	StartingDeadlineSeconds *int64  `yaml:"startingDeadlineSeconds,omitempty"`
	JobTemplate             struct {
		Spec jobSpec `yaml:"spec"`
	} `yaml:"jobTemplate"`
}

type serviceSpec struct {
	Selector map[string]string `yaml:"selector"`
	Ports    []servicePort     `yaml:"ports"`
}

type servicePort struct {
	Name       string `yaml:"name"`
	Port       int    `yaml:"port"`
	TargetPort int    `yaml:"targetPort"`
	Protocol   string `yaml:"protocol"`
}

func cronJob(a *spec.App, pod podTemplate) (cronJobSpec, error) {
	var cj cronJobSpec
	sched := strings.TrimSpace(a.Schedule)
	if strings.HasPrefix(sched, "@every") {
		return cj, fmt.Errorf("schedule %q: a CronJob has no @every; write it as cron fields", sched)
	}
	if f := strings.Fields(sched); len(f) == 6 {
		return cj, fmt.Errorf("schedule %q: a CronJob has no seconds field; write five fields", sched)
	}
	cj.Schedule = sched
	if a.CronTimezone != "" {
		tz := a.CronTimezone
		cj.TimeZone = &tz
	}
	cj.ConcurrencyPolicy = map[string]string{spec.ConcurrencyAllow: "Allow", spec.ConcurrencyReplace: "Replace"}[a.Concurrency]
	if cj.ConcurrencyPolicy == "" {
		cj.ConcurrencyPolicy = "Forbid"
	}
	if !a.CatchUp {
		// A missed time is not run late (tend's catch_up: false); with
		// catch_up the controller's default catches up.
		d := int64(60)
		cj.StartingDeadlineSeconds = &d
	}
	pod.Spec.RestartPolicy = "Never"
	if a.Autorestart == spec.RestartOnFailure {
		pod.Spec.RestartPolicy = "OnFailure"
	}
	backoff := 0
	cj.JobTemplate.Spec = jobSpec{BackoffLimit: &backoff, Template: pod}
	if a.Timeout > 0 {
		s := int64(math.Ceil(a.Timeout.D().Seconds()))
		cj.JobTemplate.Spec.ActiveDeadlineSeconds = &s
	}
	return cj, nil
}

// kubeProbe is p as a Kubernetes probe; port is what ${PORT} stands for
// ("" when the app has no single port).
func kubeProbe(p *spec.Probe, liveness bool, port string) (*probe, error) {
	expand := func(s string) (string, error) {
		if strings.Contains(s, "${PORT}") {
			if port == "" {
				return "", fmt.Errorf("%s: ${PORT} needs one listen: port or env PORT to export", s)
			}
			s = strings.ReplaceAll(s, "${PORT}", port)
		}
		return s, nil
	}
	secs := func(d time.Duration, dflt time.Duration) int {
		if d == 0 {
			d = dflt
		}
		return max(1, int(math.Ceil(d.Seconds())))
	}
	kp := &probe{
		PeriodSeconds:       secs(p.Interval.D(), spec.DefaultProbeInterval),
		TimeoutSeconds:      secs(p.Timeout.D(), spec.DefaultProbeTimeout),
		FailureThreshold:    max(p.FailureThreshold, 1),
		SuccessThreshold:    max(p.SuccessThreshold, 1),
		InitialDelaySeconds: int(p.StartPeriod.D().Seconds()),
	}
	if p.FailureThreshold == 0 {
		kp.FailureThreshold = spec.DefaultProbeFailures
	}
	if liveness {
		kp.SuccessThreshold = 1 // Kubernetes' rule for liveness
	}
	switch p.Kind() {
	case "http":
		raw, err := expand(p.HTTP)
		if err != nil {
			return nil, err
		}
		u, err := url.Parse(raw)
		if err != nil {
			return nil, err
		}
		n, err := strconv.Atoi(u.Port())
		if err != nil || n == 0 {
			return nil, fmt.Errorf("%s: want a port number in the URL", p.HTTP)
		}
		g := &httpGet{Path: u.RequestURI(), Port: n, Scheme: strings.ToUpper(u.Scheme)}
		for _, k := range slices.Sorted(maps.Keys(p.Headers)) {
			g.HTTPHeaders = append(g.HTTPHeaders, httpHeader{Name: k, Value: p.Headers[k]})
		}
		kp.HTTPGet = g
	case "tcp":
		raw, err := expand(p.TCP)
		if err != nil {
			return nil, err
		}
		_, ps, err := net.SplitHostPort(raw)
		if err != nil {
			return nil, err
		}
		n, err := strconv.Atoi(ps)
		if err != nil {
			return nil, fmt.Errorf("%s: want a port number", p.TCP)
		}
		kp.TCPSocket = &tcpSocket{Port: n}
	case "exec":
		kp.Exec = &execCmd{Command: p.Exec}
	}
	return kp, nil
}
