package dev.lanyard.demo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class SpiffeIdTemplateTest {
  @Test
  void rendersTheUsualNamespaceAndServiceAccountTemplate() {
    SpiffeIdTemplate template = new SpiffeIdTemplate(
        "spiffe://{{ .TrustDomain }}/ns/{{ .PodMeta.Namespace }}/sa/{{.PodSpec.ServiceAccountName}}");

    assertThat(template.render("lanyard.demo", "ai-agents", "classifier"))
        .isEqualTo("spiffe://lanyard.demo/ns/ai-agents/sa/classifier");
  }

  @Test
  void aFieldItDoesNotKnowIsAnError() {
    SpiffeIdTemplate template = new SpiffeIdTemplate("spiffe://{{ .TrustDomain }}/{{ .PodMeta.Name }}");

    assertThatThrownBy(() -> template.render("td", "ns", "sa"))
        .hasMessageContaining(".PodMeta.Name is not supported");
  }

  @Test
  void theDemoManifestsTemplateGivesTheIdsTheirAnnotationsName() {
    DemoManifests manifests = DemoManifests.read(DemoPaths.detect().manifests());
    SpiffeIdTemplate template = manifests.spiffeIdTemplate();

    // The allowed-peers annotations name IDs literally: they must be the ones the template gives.
    for (var deployment : manifests.deployments()) {
      String peers = deployment.path("spec").path("template").path("metadata").path("annotations")
          .path("lanyard.dev/allowed-peers").asText("");
      for (String peer : peers.isEmpty() ? new String[0] : peers.split(",")) {
        String sa = peer.substring(peer.lastIndexOf('/') + 1);
        assertThat(peer.trim()).isEqualTo(template.render(LocalDemo.TRUST_DOMAIN, "ai-agents", sa));
      }
    }
  }
}
