# Writes OUTPUT, a C++ file defining `const char* const NAME` as the text of INPUT (a raw string
# literal; the text must not contain the delimiter's closing sequence ")tlslab\"").
file(READ "${INPUT}" text)
string(FIND "${text}" ")tlslab\"" clash)
if(NOT clash EQUAL -1)
  message(FATAL_ERROR "${INPUT} contains the raw-string delimiter )tlslab\"")
endif()
file(WRITE "${OUTPUT}" "// Generated from ${INPUT} at build time: do not edit.\nnamespace tlslab {\nextern const char* const ${NAME};\nconst char* const ${NAME} = R\"tlslab(${text})tlslab\";\n}  // namespace tlslab\n")
