/* hostile.h - server strings a report must survive (shared by the tests). */
#ifndef KC_TEST_HOSTILE_H
#define KC_TEST_HOSTILE_H

static const char *const hostile_strings[] = {
    "=HYPERLINK(\"http://evil/\",\"x\")",
    "+1+1",
    "-2+3",
    "@SUM(A1:A2)",
    "\tleading tab",
    "\rleading cr",
    "quote \" inside, and comma",
    "line\nbreak",
    "crlf\r\nbreak",
    "<script>alert(1)</script>",
    "]]><![CDATA[",
    "\x1b[31mred\x1b[0m\x1b]0;title\x07",
    "invalid \xff\xfe utf8 \xc3",
    "c1 \xc2\x9b" "31m csi",
    "back\\slash & 'apos'",
    "v1.26.1-\xe2\x80\xae" "evil", /* right-to-left override: valid UTF-8 */
};

#endif
