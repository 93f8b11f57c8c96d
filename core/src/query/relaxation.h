// Internal: the parts of a query that relaxation works with: coordination
// by concept, partial translations, pasted prose, and queries whose words
// were all dropped (issue 22; issue 28 finding 6). QueryBuilder uses them.
#pragma once

#include <string>
#include <vector>

#include <xapian.h>

#include "tongwen/query.h"

namespace tongwen {

// Whether a stem is a number (digits, with decimal points or separators).
bool IsNumber(const std::string& stem);

// The words of a Chinese word's multi-word English glosses (each a list of
// stems), each alone: partial matches of the word (relaxation.cc says
// why), but for short words, numbers and a word that is a gloss of its own.
std::vector<std::string> PartialWords(const std::vector<std::vector<std::string>>& senses);
// A partial match's weight, as a share of a translation's, and its share
// of a concept in the coordination.
inline constexpr double kPartialShare = 1.0;
inline constexpr double kPartialCoordination = 0.5;

// The weight each concept adds in the coordination of a query of
// `concepts` concepts whose highest weight is `highest` (0 below two).
double CoordinationWeight(double highest, size_t concepts);
// `weight` for a document that `match` matches.
Xapian::Query CoordinationOf(const Xapian::Query& match, double weight);
// The sum of the concepts' coordination weights (CoordinationOf) that a
// document matches; empty if there are fewer than two concepts.
Xapian::Query Coordination(const std::vector<Xapian::Query>& concepts);

// Whether a query reads as pasted prose rather than typed search terms.
bool ReadsAsProse(const ParsedQuery& pq);
// The text of the query's positive words and phrases (not exclusions, not
// source: or section: filters), space-separated.
void PositiveText(const QueryNode& n, std::string* out);
// Whether a text holds anything but spaces, punctuation and control
// characters: a word, a symbol (an emoji), or bytes that are no UTF-8.
bool HasWordCharacters(const std::string& text);

}  // namespace tongwen
