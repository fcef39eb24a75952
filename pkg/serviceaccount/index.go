package serviceaccount

import (
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Identity is what the server's index of ServiceAccounts keeps of one: its name, namespace and UID. A token is
// checked against these alone, and the namespace defaults controller asks only whether the account exists; the
// rest (labels, annotations, secrets, timestamps) would cost memory in every namespace of every workspace.
func Identity(sa *corev1.ServiceAccount) *corev1.ServiceAccount {
	return &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: sa.Name, Namespace: sa.Namespace, UID: sa.UID}}
}
