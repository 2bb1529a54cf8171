#include <cstdio>
int main() { std::puts("tlslab-server 1.0.0"); }
