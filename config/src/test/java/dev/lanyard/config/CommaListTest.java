package dev.lanyard.config;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class CommaListTest {
  @Test
  void entriesAreTrimmedAndEmptyOnesIgnored() {
    assertThat(CommaList.entries(" a , b,,c ,")).containsExactly("a", "b", "c");
    assertThat(CommaList.entries(" , ")).isEmpty();
    assertThat(CommaList.entries("")).isEmpty();
    assertThat(CommaList.entries(null)).isEmpty();
  }

  @Test
  void anEntryKeepsItsInnerSpacesAndCase() {
    assertThat(CommaList.entries("Host=Audience One")).containsExactly("Host=Audience One");
  }
}
