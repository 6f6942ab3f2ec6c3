"""One module per problem kind: params, solve, reference, mistakes, generate, KIND."""
