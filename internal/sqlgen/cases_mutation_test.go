package sqlgen

func mutationCases() []goldenCase { return nil }
