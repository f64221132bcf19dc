package dev.lanyard.tls;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TerminationMessageTest {
  @TempDir Path dir;

  @Test
  void theMessageReplacesTheFilesContent() throws Exception {
    Path file = Files.writeString(dir.resolve("termination-log"), "an older, longer message");

    TerminationMessage.write(file, "lanyard: no SVID within 5s (then=fail)");

    assertThat(file).hasContent("lanyard: no SVID within 5s (then=fail)");
  }

  @Test
  void aMissingFileIsLeftMissing() {
    Path file = dir.resolve("termination-log");

    TerminationMessage.write(file, "lanyard: no SVID");

    assertThat(file).doesNotExist();
  }

  @Test
  void theMessageIsCutAtTheKubeletsLimit() throws Exception {
    Path file = Files.createFile(dir.resolve("termination-log"));

    TerminationMessage.write(file, "x".repeat(5000));

    assertThat(Files.readString(file, StandardCharsets.UTF_8)).hasSize(TerminationMessage.MAX_BYTES);
  }
}
