package authorization

import (
	"strings"

	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apiserver/pkg/authorization/authorizer"
)

// ruleAllows reports whether one RBAC policy rule allows the request described by a.
func ruleAllows(a authorizer.Attributes, rule rbacv1.PolicyRule) bool {
	if !matches(rule.Verbs, a.GetVerb()) {
		return false
	}
	if !a.IsResourceRequest() {
		return nonResourceURLMatches(rule.NonResourceURLs, a.GetPath())
	}
	if len(rule.NonResourceURLs) > 0 || !matches(rule.APIGroups, a.GetAPIGroup()) || !resourceMatches(rule.Resources, a.GetResource(), a.GetSubresource()) {
		return false
	}
	if len(rule.ResourceNames) == 0 {
		return true
	}
	return a.GetName() != "" && contains(rule.ResourceNames, a.GetName())
}

func matches(allowed []string, value string) bool {
	for _, x := range allowed {
		if x == rbacv1.VerbAll || x == value {
			return true
		}
	}
	return false
}

func contains(list []string, value string) bool {
	for _, x := range list {
		if x == value {
			return true
		}
	}
	return false
}

// resourceMatches follows Kubernetes: "*" is every resource and subresource, "pods/*" every subresource of pods,
// "*/status" the status of everything, and "pods/log" that one subresource.
func resourceMatches(allowed []string, resource, subresource string) bool {
	full := resource
	if subresource != "" {
		full = resource + "/" + subresource
	}
	for _, r := range allowed {
		switch {
		case r == rbacv1.ResourceAll, r == full:
			return true
		case subresource != "" && r == resource+"/*":
			return true
		case subresource != "" && r == "*/"+subresource:
			return true
		}
	}
	return false
}

// nonResourceURLMatches follows Kubernetes: "*" is every path, "/apis/*" every path below /apis/.
func nonResourceURLMatches(allowed []string, path string) bool {
	for _, u := range allowed {
		if u == rbacv1.NonResourceAll || u == path {
			return true
		}
		if strings.HasSuffix(u, "*") && strings.HasPrefix(path, strings.TrimSuffix(u, "*")) {
			return true
		}
	}
	return false
}
