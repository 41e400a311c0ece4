"""Training code for the models we ship (layer 3: imports core, index, assistant; only the
Makefile and the command line import it). ``common`` holds what every model shares."""
