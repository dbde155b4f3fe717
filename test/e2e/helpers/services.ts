/**
 * Manifests the Service e2e files and bench/services.ts all wrote out by hand: a pod that idles (the client
 * that `kubectl exec` runs wget or nslookup in) and a Deployment of busybox httpds that serve their own
 * hostname on 8080 (so a client sees which backend answered), Ready once the port listens.
 */

/** A busybox pod that sleeps, with a 1 s grace period, to run clients in with `kubectl exec`. */
export function idlePodYaml(name: string): string {
  return `apiVersion: v1
kind: Pod
metadata: {name: ${name}}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: c
    image: busybox:1.35
    command: ["sleep", "3600"]
`;
}

/** A Deployment NAME (pods labelled `app: NAME`) of httpds answering `GET /` on 8080 with their hostname. */
export function hostnameWebYaml(name: string, replicas: number): string {
  return `apiVersion: apps/v1
kind: Deployment
metadata: {name: ${name}}
spec:
  replicas: ${replicas}
  selector: {matchLabels: {app: ${name}}}
  template:
    metadata: {labels: {app: ${name}}}
    spec:
      terminationGracePeriodSeconds: 1
      containers:
      - name: httpd
        image: busybox:1.35
        command: ["sh", "-c", "mkdir -p /www && hostname > /www/index.html && exec httpd -f -p 8080 -h /www"]
        readinessProbe: {tcpSocket: {port: 8080}, periodSeconds: 1}
`;
}
