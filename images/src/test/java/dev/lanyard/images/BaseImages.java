package dev.lanyard.images;

import dev.lanyard.testkit.Images;

/**
 * The build's check that the base images Jib builds on exist ({@code scripts/build-images.sh}),
 * run before the images are laid out: it waits for those that {@code make test}'s background tool
 * build is still making and fails with the command to run for a missing one. Usage: {@code
 * BaseImages NAME...}.
 */
public final class BaseImages {
  private BaseImages() {}

  public static void main(String[] names) {
    for (String name : names) {
      try {
        Images.require(name);
      } catch (IllegalStateException e) {
        System.err.println("lanyard-images: " + e.getMessage()
            + " (or -Dlanyard.images.skip=true to build no image)");
        System.exit(1);
      }
    }
  }
}
