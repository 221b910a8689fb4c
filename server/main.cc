// kotoba-memd entry point (placeholder until server/net lands).
int main() { return 0; }
