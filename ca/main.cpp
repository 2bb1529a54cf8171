#include <cstdio>
int main() { std::puts("tlslab-ca 1.0.0"); }
