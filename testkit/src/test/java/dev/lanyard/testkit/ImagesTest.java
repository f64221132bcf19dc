package dev.lanyard.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ImagesTest {
  @TempDir Path dir;

  @Test
  void aTarballsReferenceIsTheFirstTagItsManifestNames() throws Exception {
    Path tarball = archive("[{\"Config\":\"config.json\",\"RepoTags\":"
        + "[\"ghcr.io/lanyard-dev/lanyard-webhook:1.2.3\",\"other:tag\"],\"Layers\":[]}]");

    Images.Image image = Images.fromTarball("webhook", tarball);

    assertThat(image.reference()).isEqualTo("ghcr.io/lanyard-dev/lanyard-webhook:1.2.3");
    assertThat(image.name()).isEqualTo("webhook");
    assertThat(image.tarball()).isEqualTo(tarball);
  }

  @Test
  void anUntaggedTarballIsRefusedBecausePodsCouldNotNameIt() throws Exception {
    Path tarball = archive("[{\"Config\":\"config.json\",\"RepoTags\":[],\"Layers\":[]}]");

    assertThatThrownBy(() -> Images.fromTarball("webhook", tarball))
        .hasMessageContaining("names no RepoTags").hasMessageContaining(tarball.toString());
  }

  @Test
  void aMissingBuiltImageNamesTheCommandThatBuildsIt() {
    String before = System.getProperty(Images.BUILT_DIR_PROPERTY);
    System.setProperty(Images.BUILT_DIR_PROPERTY, dir.toString());
    try {
      assertThatThrownBy(() -> Images.built("sidecar"))
          .hasMessageContaining(dir.resolve("sidecar.tar").toString())
          .hasMessageContaining("make images");
    } finally {
      if (before == null) {
        System.clearProperty(Images.BUILT_DIR_PROPERTY);
      } else {
        System.setProperty(Images.BUILT_DIR_PROPERTY, before);
      }
    }
  }

  private Path archive(String manifest) throws Exception {
    Path content = Files.createDirectories(dir.resolve("content"));
    Files.writeString(content.resolve("manifest.json"), manifest);
    Path tarball = dir.resolve("image.tar");
    Command.run(Duration.ofSeconds(10), "tar", "-cf", tarball.toString(), "-C", content.toString(),
        "manifest.json").orThrow();
    return tarball;
  }
}
