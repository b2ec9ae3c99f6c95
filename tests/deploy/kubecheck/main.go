// kubecheck decodes every document of a rendered chart (stdin) strictly into the Kubernetes API
// types: an unknown or misplaced field, or a wrong type, is an error naming the object.
// Custom resources (ServiceMonitor, PrometheusRule) are skipped: their types are not here.
package main

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"
)

type header struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Metadata   struct {
		Name string `json:"name"`
	} `json:"metadata"`
}

func target(apiVersion, kind string) any {
	switch apiVersion + "/" + kind {
	case "apps/v1/Deployment":
		return &appsv1.Deployment{}
	case "v1/Service":
		return &corev1.Service{}
	case "v1/ServiceAccount":
		return &corev1.ServiceAccount{}
	case "v1/ConfigMap":
		return &corev1.ConfigMap{}
	case "autoscaling/v2/HorizontalPodAutoscaler":
		return &autoscalingv2.HorizontalPodAutoscaler{}
	case "policy/v1/PodDisruptionBudget":
		return &policyv1.PodDisruptionBudget{}
	case "batch/v1/Job":
		return &batchv1.Job{}
	case "networking.k8s.io/v1/Ingress":
		return &networkingv1.Ingress{}
	}
	return nil
}

func main() {
	reader := utilyaml.NewYAMLReader(bufio.NewReader(os.Stdin))
	checked, skipped, failed := 0, 0, 0
	for {
		doc, err := reader.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "read:", err)
			os.Exit(2)
		}
		if len(bytes.TrimSpace(doc)) == 0 {
			continue
		}
		var h header
		if err := yaml.Unmarshal(doc, &h); err != nil {
			fmt.Fprintln(os.Stderr, "header:", err)
			failed++
			continue
		}
		if h.Kind == "" {
			continue // a document of comments only
		}
		obj := target(h.APIVersion, h.Kind)
		if obj == nil {
			fmt.Printf("skipped %s %s (%s)\n", h.Kind, h.Metadata.Name, h.APIVersion)
			skipped++
			continue
		}
		if err := yaml.UnmarshalStrict(doc, obj); err != nil {
			fmt.Fprintf(os.Stderr, "%s %s: %v\n", h.Kind, h.Metadata.Name, err)
			failed++
			continue
		}
		checked++
	}
	fmt.Printf("checked %d, skipped %d, failed %d\n", checked, skipped, failed)
	if failed > 0 || checked == 0 {
		os.Exit(1)
	}
}
