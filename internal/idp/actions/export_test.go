package actions

// SeedScript gives the external walkthrough test the guide's Action files.
var SeedScript = seedScript
