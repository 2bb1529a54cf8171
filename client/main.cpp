#include <cstdio>
int main() { std::puts("tlslab-client 1.0.0"); }
