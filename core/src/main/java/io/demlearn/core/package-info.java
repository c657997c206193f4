/**
 * The learning math of DemLearn (Nguyen et al., "Self-organizing Democratized Learning", IEEE
 * TNNLS, arXiv 2007.03278): models, local training, averaging, clustering, mixing, metrics and
 * data. Pure functions with no Kafka, shared by the services and the in-memory simulator.
 */
package io.demlearn.core;
