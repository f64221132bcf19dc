package dev.lanyard.demo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.lanyard.webhook.workload.Manifests;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class LocalEnvironmentTest {
  private final Map<String, Integer> ports = new HashMap<>();
  private final LocalEnvironment environment = new LocalEnvironment(
      "unix:///tmp/spire/agent.sock", "/repo/javaagent/target/lanyard-javaagent.jar", "this-node",
      (pod, port) -> ports.computeIfAbsent(pod + ":" + port, key -> 40000 + ports.size()),
      (host, port) -> host.startsWith("llm-gateway.") && port == 443
          ? Optional.of(new DemoManifests.PodPort("llm-gateway", 8443)) : Optional.empty());
  private final LocalEnvironment.Pod pod =
      new LocalEnvironment.Pod("classifier", "ai-agents", "classifier");

  @Test
  void podWorldPathsAndPortsBecomeLocalAndEverythingElseIsKept() {
    JsonNode env = Manifests.parse("""
        - {name: SPIFFE_ENDPOINT_SOCKET, value: "unix:///spiffe-workload-api/spire-agent.sock"}
        - {name: JAVA_TOOL_OPTIONS, value: "-Xss1m -javaagent:/lanyard/javaagent.jar"}
        - {name: LANYARD_ADMIN_ADDRESS, value: "127.0.0.1:15000"}
        - {name: LANYARD_ALLOWED_PEERS, value: "spiffe://lanyard.demo/ns/a/sa/b"}
        - {name: PORT, value: "8443"}
        - {name: LLM_GATEWAY_URL, value: "https://llm-gateway.ai-agents.svc:443"}
        - {name: LLM_GATEWAY_FQDN_URL, value: "https://llm-gateway.ai-agents.svc.cluster.local:443"}
        - {name: LANYARD_JWT_AUDIENCES, value: "llm-gateway.ai-agents.svc=llm"}
        - {name: LANYARD_INBOUND_JWT_AUDIENCE, value: "notifier"}
        - {name: PUBLIC_URL, value: "https://api.openai.com/v1"}
        - {name: LANYARD_POD_NAME, valueFrom: {fieldRef: {fieldPath: metadata.name}}}
        - {name: LANYARD_NODE_NAME, valueFrom: {fieldRef: {fieldPath: spec.nodeName}}}
        - {name: LANYARD_SERVICE_ACCOUNT, valueFrom: {fieldRef: {fieldPath: spec.serviceAccountName}}}
        """);

    Map<String, String> local = environment.localize(pod, env);

    assertThat(local).containsEntry("SPIFFE_ENDPOINT_SOCKET", "unix:///tmp/spire/agent.sock")
        .containsEntry("JAVA_TOOL_OPTIONS",
            "-Xss1m -javaagent:/repo/javaagent/target/lanyard-javaagent.jar")
        .containsEntry("LANYARD_ADMIN_ADDRESS", "127.0.0.1:" + ports.get("classifier:15000"))
        .containsEntry("LANYARD_ALLOWED_PEERS", "spiffe://lanyard.demo/ns/a/sa/b")
        .containsEntry("PORT", Integer.toString(ports.get("classifier:8443")))
        .containsEntry("LLM_GATEWAY_URL",
            "https://llm-gateway.ai-agents.svc:" + ports.get("llm-gateway:8443"))
        .containsEntry("LLM_GATEWAY_FQDN_URL",
            "https://llm-gateway.ai-agents.svc.cluster.local:" + ports.get("llm-gateway:8443"))
        // Host globs and audiences name the same hosts here (the hosts file keeps the names).
        .containsEntry("LANYARD_JWT_AUDIENCES", "llm-gateway.ai-agents.svc=llm")
        .containsEntry("LANYARD_INBOUND_JWT_AUDIENCE", "notifier")
        .containsEntry("PUBLIC_URL", "https://api.openai.com/v1")
        .containsEntry("LANYARD_POD_NAME", "classifier-local")
        .containsEntry("LANYARD_NODE_NAME", "this-node")
        .containsEntry("LANYARD_SERVICE_ACCOUNT", "classifier");
    assertThat(local.keySet()).containsExactly("SPIFFE_ENDPOINT_SOCKET", "JAVA_TOOL_OPTIONS",
        "LANYARD_ADMIN_ADDRESS", "LANYARD_ALLOWED_PEERS", "PORT", "LLM_GATEWAY_URL",
        "LLM_GATEWAY_FQDN_URL", "LANYARD_JWT_AUDIENCES", "LANYARD_INBOUND_JWT_AUDIENCE", "PUBLIC_URL",
        "LANYARD_POD_NAME", "LANYARD_NODE_NAME", "LANYARD_SERVICE_ACCOUNT");
  }

  @Test
  void everyPodPortGetsItsOwnLocalPortAndTheSidecarAdminLeavesTheNetwork() {
    String inbound = environment.value(pod, "LANYARD_INBOUND", "8443:8080,9443:9090");
    String admin = environment.value(pod, "LANYARD_ADMIN_ADDRESS", "0.0.0.0:15000");
    String proxy = environment.value(pod, "HTTP_PROXY", "http://127.0.0.1:15001");
    String other = environment.value(new LocalEnvironment.Pod("other", "ai-agents", "other"),
        "LANYARD_ADMIN_ADDRESS", "127.0.0.1:15000");

    assertThat(inbound).isEqualTo(ports.get("classifier:8443") + ":" + ports.get("classifier:8080")
        + "," + ports.get("classifier:9443") + ":" + ports.get("classifier:9090"));
    assertThat(admin).isEqualTo("127.0.0.1:" + ports.get("classifier:15000"));
    assertThat(proxy).isEqualTo("http://127.0.0.1:" + ports.get("classifier:15001"));
    assertThat(other).isNotEqualTo(admin);
    assertThat(environment.value(pod, "LANYARD_ADMIN_ADDRESS", "off")).isEqualTo("off");
  }

  @Test
  void aServiceUrlWithoutAServiceOrAnUnknownFieldIsAnErrorNotAGuess() {
    assertThatThrownBy(() -> environment.value(pod, "X_URL", "https://nowhere.ai-agents.svc:443"))
        .hasMessageContaining("no Service in the manifests for https://nowhere.ai-agents.svc:443");
    JsonNode env = Manifests.parse("- {name: IP, valueFrom: {fieldRef: {fieldPath: status.podIP}}}");
    assertThatThrownBy(() -> environment.localize(pod, env)).hasMessageContaining("IP comes from");
  }
}
