package dev.lanyard.webhook.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.lanyard.webhook.workload.InvalidManifestException;
import dev.lanyard.webhook.workload.Manifests;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Reads {@code -f} arguments: files, or {@code -} for standard input. */
final class ManifestFiles {
  private ManifestFiles() {}

  static List<JsonNode> read(List<String> sources, InputStream stdin) {
    List<JsonNode> objects = new ArrayList<>();
    for (String source : sources) {
      try (Reader reader = open(source, stdin)) {
        objects.addAll(Manifests.read(reader, source.equals("-") ? "standard input" : source));
      } catch (NoSuchFileException e) {
        throw new UserError("no such file: " + source);
      } catch (IOException e) {
        throw new UserError("cannot read " + source + ": " + e.getMessage());
      } catch (InvalidManifestException e) {
        throw new UserError(e.getMessage());
      }
    }
    return objects;
  }

  private static Reader open(String source, InputStream stdin) throws IOException {
    if (source.equals("-")) {
      return new InputStreamReader(stdin, StandardCharsets.UTF_8) {
        @Override
        public void close() {
          // standard input stays open for the caller
        }
      };
    }
    return Files.newBufferedReader(Path.of(source), StandardCharsets.UTF_8);
  }
}
