/** Six MCQs whose right choice is always A and the longest: a pack that loads with two quiz:lint problems (answer cues). */
export function cuedPack(title = 'A Cued Pack'): string {
  const items = Array.from({ length: 6 }, (_, i) => `
  - id: cue-${i + 1}
    type: mcq
    section: basics
    difficulty: easy
    prompt: Question number ${i + 1}?
    choices:
      - text: The right answer, written out much longer than the others
      - text: Short
        why: It is wrong.
      - text: Brief
        why: It is wrong too.
    answer: A
    explanation: The first choice is right.`).join('');
  return `pack: cued\ntitle: ${title}\nsections:\n  basics: Basics\nitems:${items}\n`;
}
