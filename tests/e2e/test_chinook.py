"""Chinook through both engines, compared with the SQLite reference file.

Each query is written three times: for SQLite (the reference), and in the MySQL and
PostgreSQL dialects as an application would write it for Aurora (the two scripts
name things differently: MySQL ``InvoiceLine.UnitPrice``, PostgreSQL
``invoice_line.unit_price``). Where the dialects really differ (case-insensitive
comparison in MySQL, NULL ordering, LENGTH in bytes), the reference query is given
per dialect so each engine is held to its own server's answer.

Values are compared after normalisation: DECIMAL and float round to 6 places,
datetimes become 'YYYY-MM-DD HH:MM:SS' text (SQLite stores them so), booleans become
0/1. Every reference result must be non-empty, so no query can pass vacuously.
"""
from __future__ import annotations

import datetime
import decimal
import sqlite3
from collections.abc import Iterator
from typing import Any

import attrs
import pytest
from chinook_e2e import TABLES, Loaded, ident, mysql_literal

import aurora_lite as al


@attrs.frozen
class Q:
    """One query: SQLite reference text (or one per dialect), MySQL text, PostgreSQL text."""

    name: str
    sqlite: str | dict[str, str]
    mysql: str
    postgres: str
    params: tuple[Any, ...] | dict[str, Any] | None = None
    xfail: dict[str, str] = attrs.Factory(dict)   # dialect -> reason (a reported aurora_lite bug)

    def text(self, dialect: str) -> str:
        return self.mysql if dialect == "mysql" else self.postgres

    def reference(self, dialect: str) -> str:
        return self.sqlite if isinstance(self.sqlite, str) else self.sqlite[dialect]


def _counts(dialect: str | None) -> str:
    return "SELECT " + ", ".join(f"(SELECT COUNT(*) FROM {ident(t, dialect or 'mysql')})" for t in TABLES)


QUERIES = [
    Q("scalar_subquery_counts", _counts(None), _counts("mysql"), _counts("postgres")),
    Q("join3_group_order_limit",
      "SELECT ar.Name, al.Title, COUNT(*) AS tracks FROM Track t JOIN Album al ON al.AlbumId = t.AlbumId "
      "JOIN Artist ar ON ar.ArtistId = al.ArtistId GROUP BY al.AlbumId, ar.Name, al.Title "
      "ORDER BY tracks DESC, al.AlbumId LIMIT 10",
      "SELECT ar.Name, al.Title, COUNT(*) AS tracks FROM Track t JOIN Album al ON al.AlbumId = t.AlbumId "
      "JOIN Artist ar ON ar.ArtistId = al.ArtistId GROUP BY al.AlbumId, ar.Name, al.Title "
      "ORDER BY tracks DESC, al.AlbumId LIMIT 10",
      "SELECT ar.name, al.title, COUNT(*) AS tracks FROM track t JOIN album al ON al.album_id = t.album_id "
      "JOIN artist ar ON ar.artist_id = al.artist_id GROUP BY al.album_id, ar.name, al.title "
      "ORDER BY tracks DESC, al.album_id LIMIT 10"),
    Q("genre_revenue_having",
      "SELECT g.Name, SUM(il.UnitPrice * il.Quantity) AS revenue, COUNT(*) AS line_count FROM InvoiceLine il "
      "JOIN Track t ON t.TrackId = il.TrackId JOIN Genre g ON g.GenreId = t.GenreId GROUP BY g.GenreId, g.Name "
      "HAVING SUM(il.UnitPrice * il.Quantity) > 20 ORDER BY revenue DESC, g.GenreId",
      "SELECT g.Name, SUM(il.UnitPrice * il.Quantity) AS revenue, COUNT(*) AS line_count FROM InvoiceLine il "
      "JOIN Track t ON t.TrackId = il.TrackId JOIN Genre g ON g.GenreId = t.GenreId GROUP BY g.GenreId, g.Name "
      "HAVING SUM(il.UnitPrice * il.Quantity) > 20 ORDER BY revenue DESC, g.GenreId",
      "SELECT g.name, SUM(il.unit_price * il.quantity) AS revenue, COUNT(*) AS line_count FROM invoice_line il "
      "JOIN track t ON t.track_id = il.track_id JOIN genre g ON g.genre_id = t.genre_id "
      "GROUP BY g.genre_id, g.name HAVING SUM(il.unit_price * il.quantity) > 20 ORDER BY revenue DESC, g.genre_id"),
    Q("group_by_having_count",
      "SELECT BillingCountry, COUNT(*) AS invoices, SUM(Total) AS total FROM Invoice GROUP BY BillingCountry "
      "HAVING COUNT(*) >= 14 ORDER BY total DESC, BillingCountry",
      "SELECT BillingCountry, COUNT(*) AS invoices, SUM(Total) AS total FROM Invoice GROUP BY BillingCountry "
      "HAVING COUNT(*) >= 14 ORDER BY total DESC, BillingCountry",
      "SELECT billing_country, COUNT(*) AS invoices, SUM(total) AS total FROM invoice GROUP BY billing_country "
      "HAVING COUNT(*) >= 14 ORDER BY total DESC, billing_country"),
    Q("having_count_distinct",
      "SELECT ar.ArtistId, ar.Name, COUNT(DISTINCT t.GenreId) AS genres FROM Artist ar "
      "JOIN Album al ON al.ArtistId = ar.ArtistId JOIN Track t ON t.AlbumId = al.AlbumId "
      "GROUP BY ar.ArtistId, ar.Name HAVING COUNT(DISTINCT t.GenreId) >= 3 ORDER BY genres DESC, ar.ArtistId",
      "SELECT ar.ArtistId, ar.Name, COUNT(DISTINCT t.GenreId) AS genres FROM Artist ar "
      "JOIN Album al ON al.ArtistId = ar.ArtistId JOIN Track t ON t.AlbumId = al.AlbumId "
      "GROUP BY ar.ArtistId, ar.Name HAVING COUNT(DISTINCT t.GenreId) >= 3 ORDER BY genres DESC, ar.ArtistId",
      "SELECT ar.artist_id, ar.name, COUNT(DISTINCT t.genre_id) AS genres FROM artist ar "
      "JOIN album al ON al.artist_id = ar.artist_id JOIN track t ON t.album_id = al.album_id "
      "GROUP BY ar.artist_id, ar.name HAVING COUNT(DISTINCT t.genre_id) >= 3 ORDER BY genres DESC, ar.artist_id"),
    Q("left_join_is_null",
      "SELECT ar.ArtistId, ar.Name FROM Artist ar LEFT JOIN Album al ON al.ArtistId = ar.ArtistId "
      "WHERE al.AlbumId IS NULL ORDER BY ar.ArtistId",
      "SELECT ar.ArtistId, ar.Name FROM Artist ar LEFT JOIN Album al ON al.ArtistId = ar.ArtistId "
      "WHERE al.AlbumId IS NULL ORDER BY ar.ArtistId",
      "SELECT ar.artist_id, ar.name FROM artist ar LEFT JOIN album al ON al.artist_id = ar.artist_id "
      "WHERE al.album_id IS NULL ORDER BY ar.artist_id"),
    Q("left_join_nulls_in_result",
      "SELECT e.EmployeeId, e.LastName, c.CustomerId, c.City FROM Employee e "
      "LEFT JOIN Customer c ON c.SupportRepId = e.EmployeeId AND c.Country = 'Canada' "
      "ORDER BY e.EmployeeId, c.CustomerId",
      "SELECT e.EmployeeId, e.LastName, c.CustomerId, c.City FROM Employee e "
      "LEFT JOIN Customer c ON c.SupportRepId = e.EmployeeId AND c.Country = 'Canada' "
      "ORDER BY e.EmployeeId, c.CustomerId",
      "SELECT e.employee_id, e.last_name, c.customer_id, c.city FROM employee e "
      "LEFT JOIN customer c ON c.support_rep_id = e.employee_id AND c.country = 'Canada' "
      "ORDER BY e.employee_id, c.customer_id NULLS FIRST"),
    Q("self_join_manager",
      "SELECT e.EmployeeId, e.FirstName, m.FirstName AS manager, m.LastName FROM Employee e "
      "LEFT JOIN Employee m ON m.EmployeeId = e.ReportsTo ORDER BY e.EmployeeId",
      "SELECT e.EmployeeId, e.FirstName, m.FirstName AS manager, m.LastName FROM Employee e "
      "LEFT JOIN Employee m ON m.EmployeeId = e.ReportsTo ORDER BY e.EmployeeId",
      "SELECT e.employee_id, e.first_name, m.first_name AS manager, m.last_name FROM employee e "
      "LEFT JOIN employee m ON m.employee_id = e.reports_to ORDER BY e.employee_id"),
    Q("exists_correlated",
      "SELECT c.CustomerId, c.LastName FROM Customer c WHERE EXISTS (SELECT 1 FROM Invoice i "
      "JOIN InvoiceLine il ON il.InvoiceId = i.InvoiceId JOIN Track t ON t.TrackId = il.TrackId "
      "JOIN Genre g ON g.GenreId = t.GenreId WHERE i.CustomerId = c.CustomerId AND g.Name = 'Jazz') "
      "ORDER BY c.CustomerId",
      "SELECT c.CustomerId, c.LastName FROM Customer c WHERE EXISTS (SELECT 1 FROM Invoice i "
      "JOIN InvoiceLine il ON il.InvoiceId = i.InvoiceId JOIN Track t ON t.TrackId = il.TrackId "
      "JOIN Genre g ON g.GenreId = t.GenreId WHERE i.CustomerId = c.CustomerId AND g.Name = 'Jazz') "
      "ORDER BY c.CustomerId",
      "SELECT c.customer_id, c.last_name FROM customer c WHERE EXISTS (SELECT 1 FROM invoice i "
      "JOIN invoice_line il ON il.invoice_id = i.invoice_id JOIN track t ON t.track_id = il.track_id "
      "JOIN genre g ON g.genre_id = t.genre_id WHERE i.customer_id = c.customer_id AND g.name = 'Jazz') "
      "ORDER BY c.customer_id"),
    Q("not_exists",
      "SELECT g.GenreId, g.Name FROM Genre g WHERE NOT EXISTS (SELECT 1 FROM Track t "
      "JOIN InvoiceLine il ON il.TrackId = t.TrackId WHERE t.GenreId = g.GenreId) ORDER BY g.GenreId",
      "SELECT g.GenreId, g.Name FROM Genre g WHERE NOT EXISTS (SELECT 1 FROM Track t "
      "JOIN InvoiceLine il ON il.TrackId = t.TrackId WHERE t.GenreId = g.GenreId) ORDER BY g.GenreId",
      "SELECT g.genre_id, g.name FROM genre g WHERE NOT EXISTS (SELECT 1 FROM track t "
      "JOIN invoice_line il ON il.track_id = t.track_id WHERE t.genre_id = g.genre_id) ORDER BY g.genre_id"),
    Q("in_subquery",
      "SELECT t.TrackId, t.Name FROM Track t WHERE t.TrackId IN (SELECT pt.TrackId FROM PlaylistTrack pt "
      "JOIN Playlist p ON p.PlaylistId = pt.PlaylistId WHERE p.Name = 'Grunge') ORDER BY t.TrackId",
      "SELECT t.TrackId, t.Name FROM Track t WHERE t.TrackId IN (SELECT pt.TrackId FROM PlaylistTrack pt "
      "JOIN Playlist p ON p.PlaylistId = pt.PlaylistId WHERE p.Name = 'Grunge') ORDER BY t.TrackId",
      "SELECT t.track_id, t.name FROM track t WHERE t.track_id IN (SELECT pt.track_id FROM playlist_track pt "
      "JOIN playlist p ON p.playlist_id = pt.playlist_id WHERE p.name = 'Grunge') ORDER BY t.track_id"),
    Q("not_in_subquery",
      "SELECT MediaTypeId, Name FROM MediaType WHERE MediaTypeId NOT IN "
      "(SELECT DISTINCT MediaTypeId FROM Track WHERE GenreId = 1) ORDER BY MediaTypeId",
      "SELECT MediaTypeId, Name FROM MediaType WHERE MediaTypeId NOT IN "
      "(SELECT DISTINCT MediaTypeId FROM Track WHERE GenreId = 1) ORDER BY MediaTypeId",
      "SELECT media_type_id, name FROM media_type WHERE media_type_id NOT IN "
      "(SELECT DISTINCT media_type_id FROM track WHERE genre_id = 1) ORDER BY media_type_id"),
    Q("scalar_subquery_in_select_and_where",
      "SELECT InvoiceId, Total, ROUND(Total - (SELECT AVG(Total) FROM Invoice), 2) AS above FROM Invoice "
      "WHERE Total > (SELECT AVG(Total) FROM Invoice) * 3 ORDER BY Total DESC, InvoiceId",
      "SELECT InvoiceId, Total, ROUND(Total - (SELECT AVG(Total) FROM Invoice), 2) AS above FROM Invoice "
      "WHERE Total > (SELECT AVG(Total) FROM Invoice) * 3 ORDER BY Total DESC, InvoiceId",
      "SELECT invoice_id, total, ROUND(total - (SELECT AVG(total) FROM invoice), 2) AS above FROM invoice "
      "WHERE total > (SELECT AVG(total) FROM invoice) * 3 ORDER BY total DESC, invoice_id"),
    Q("correlated_scalar_subquery",
      "SELECT c.CustomerId, c.LastName, (SELECT SUM(i.Total) FROM Invoice i WHERE i.CustomerId = c.CustomerId) "
      "AS spent FROM Customer c WHERE (SELECT SUM(i.Total) FROM Invoice i WHERE i.CustomerId = c.CustomerId) > 45 "
      "ORDER BY spent DESC, c.CustomerId",
      "SELECT c.CustomerId, c.LastName, (SELECT SUM(i.Total) FROM Invoice i WHERE i.CustomerId = c.CustomerId) "
      "AS spent FROM Customer c WHERE (SELECT SUM(i.Total) FROM Invoice i WHERE i.CustomerId = c.CustomerId) > 45 "
      "ORDER BY spent DESC, c.CustomerId",
      "SELECT c.customer_id, c.last_name, (SELECT SUM(i.total) FROM invoice i WHERE i.customer_id = c.customer_id) "
      "AS spent FROM customer c WHERE (SELECT SUM(i.total) FROM invoice i WHERE i.customer_id = c.customer_id) > 45 "
      "ORDER BY spent DESC, c.customer_id"),
    Q("derived_table",
      "SELECT x.Country, MAX(x.spent), COUNT(*) FROM (SELECT c.Country, c.CustomerId, SUM(i.Total) AS spent "
      "FROM Customer c JOIN Invoice i ON i.CustomerId = c.CustomerId GROUP BY c.Country, c.CustomerId) AS x "
      "GROUP BY x.Country ORDER BY x.Country",
      "SELECT x.Country, MAX(x.spent), COUNT(*) FROM (SELECT c.Country, c.CustomerId, SUM(i.Total) AS spent "
      "FROM Customer c JOIN Invoice i ON i.CustomerId = c.CustomerId GROUP BY c.Country, c.CustomerId) AS x "
      "GROUP BY x.Country ORDER BY x.Country",
      "SELECT x.country, MAX(x.spent), COUNT(*) FROM (SELECT c.country, c.customer_id, SUM(i.total) AS spent "
      "FROM customer c JOIN invoice i ON i.customer_id = c.customer_id GROUP BY c.country, c.customer_id) AS x "
      "GROUP BY x.country ORDER BY x.country"),
    Q("recursive_cte",
      "WITH RECURSIVE chain(EmployeeId, LastName, depth) AS (SELECT EmployeeId, LastName, 0 FROM Employee "
      "WHERE ReportsTo IS NULL UNION ALL SELECT e.EmployeeId, e.LastName, chain.depth + 1 FROM Employee e "
      "JOIN chain ON e.ReportsTo = chain.EmployeeId) SELECT EmployeeId, LastName, depth FROM chain "
      "ORDER BY EmployeeId",
      "WITH RECURSIVE chain(EmployeeId, LastName, depth) AS (SELECT EmployeeId, LastName, 0 FROM Employee "
      "WHERE ReportsTo IS NULL UNION ALL SELECT e.EmployeeId, e.LastName, chain.depth + 1 FROM Employee e "
      "JOIN chain ON e.ReportsTo = chain.EmployeeId) SELECT EmployeeId, LastName, depth FROM chain "
      "ORDER BY EmployeeId",
      "WITH RECURSIVE chain(employee_id, last_name, depth) AS (SELECT employee_id, last_name, 0 FROM employee "
      "WHERE reports_to IS NULL UNION ALL SELECT e.employee_id, e.last_name, chain.depth + 1 FROM employee e "
      "JOIN chain ON e.reports_to = chain.employee_id) SELECT employee_id, last_name, depth FROM chain "
      "ORDER BY employee_id"),
    Q("window_row_number",
      "SELECT AlbumId, TrackId, Name, Milliseconds FROM (SELECT AlbumId, TrackId, Name, Milliseconds, "
      "ROW_NUMBER() OVER (PARTITION BY AlbumId ORDER BY Milliseconds DESC, TrackId) AS rn FROM Track "
      "WHERE AlbumId <= 10) AS ranked WHERE rn <= 2 ORDER BY AlbumId, rn",
      "SELECT AlbumId, TrackId, Name, Milliseconds FROM (SELECT AlbumId, TrackId, Name, Milliseconds, "
      "ROW_NUMBER() OVER (PARTITION BY AlbumId ORDER BY Milliseconds DESC, TrackId) AS rn FROM Track "
      "WHERE AlbumId <= 10) AS ranked WHERE rn <= 2 ORDER BY AlbumId, rn",
      "SELECT album_id, track_id, name, milliseconds FROM (SELECT album_id, track_id, name, milliseconds, "
      "ROW_NUMBER() OVER (PARTITION BY album_id ORDER BY milliseconds DESC, track_id) AS rn FROM track "
      "WHERE album_id <= 10) AS ranked WHERE rn <= 2 ORDER BY album_id, rn"),
    Q("window_running_total",
      "SELECT CustomerId, InvoiceId, InvoiceDate, Total, SUM(Total) OVER (PARTITION BY CustomerId "
      "ORDER BY InvoiceDate, InvoiceId) AS running FROM Invoice WHERE CustomerId IN (1, 2, 3) "
      "ORDER BY CustomerId, InvoiceDate, InvoiceId",
      "SELECT CustomerId, InvoiceId, InvoiceDate, Total, SUM(Total) OVER (PARTITION BY CustomerId "
      "ORDER BY InvoiceDate, InvoiceId) AS running FROM Invoice WHERE CustomerId IN (1, 2, 3) "
      "ORDER BY CustomerId, InvoiceDate, InvoiceId",
      "SELECT customer_id, invoice_id, invoice_date, total, SUM(total) OVER (PARTITION BY customer_id "
      "ORDER BY invoice_date, invoice_id) AS running FROM invoice WHERE customer_id IN (1, 2, 3) "
      "ORDER BY customer_id, invoice_date, invoice_id"),
    Q("window_rank_over_aggregate",
      # SQLite sums REAL: 37.62 and 37.620000000000005 would not tie there without ROUND.
      "SELECT BillingCountry, ROUND(SUM(Total), 2) AS revenue, RANK() OVER (ORDER BY ROUND(SUM(Total), 2) DESC) "
      "AS rnk, DENSE_RANK() OVER (ORDER BY COUNT(*) DESC) AS by_count FROM Invoice GROUP BY BillingCountry "
      "ORDER BY rnk, BillingCountry",
      "SELECT BillingCountry, SUM(Total) AS revenue, RANK() OVER (ORDER BY SUM(Total) DESC) AS rnk, "
      "DENSE_RANK() OVER (ORDER BY COUNT(*) DESC) AS by_count FROM Invoice GROUP BY BillingCountry "
      "ORDER BY rnk, BillingCountry",
      "SELECT billing_country, SUM(total) AS revenue, RANK() OVER (ORDER BY SUM(total) DESC) AS rnk, "
      "DENSE_RANK() OVER (ORDER BY COUNT(*) DESC) AS by_count FROM invoice GROUP BY billing_country "
      "ORDER BY rnk, billing_country"),
    Q("window_lag_lead",
      "SELECT InvoiceId, Total, LAG(Total) OVER (ORDER BY InvoiceId) AS prev, "
      "LEAD(Total, 2) OVER (ORDER BY InvoiceId) AS next2 FROM Invoice WHERE InvoiceId <= 15 ORDER BY InvoiceId",
      "SELECT InvoiceId, Total, LAG(Total) OVER (ORDER BY InvoiceId) AS prev, "
      "LEAD(Total, 2) OVER (ORDER BY InvoiceId) AS next2 FROM Invoice WHERE InvoiceId <= 15 ORDER BY InvoiceId",
      "SELECT invoice_id, total, LAG(total) OVER (ORDER BY invoice_id) AS prev, "
      "LEAD(total, 2) OVER (ORDER BY invoice_id) AS next2 FROM invoice WHERE invoice_id <= 15 ORDER BY invoice_id"),
    Q("order_by_limit_offset",
      "SELECT TrackId, Name, Milliseconds FROM Track ORDER BY Milliseconds DESC, TrackId LIMIT 5 OFFSET 10",
      "SELECT TrackId, Name, Milliseconds FROM Track ORDER BY Milliseconds DESC, TrackId LIMIT 10, 5",
      "SELECT track_id, name, milliseconds FROM track ORDER BY milliseconds DESC, track_id LIMIT 5 OFFSET 10"),
    Q("order_by_nulls_default",
      # MySQL (like SQLite) sorts NULLs first in ascending order, PostgreSQL last.
      {"mysql": "SELECT CustomerId, Company FROM Customer WHERE CustomerId <= 20 ORDER BY Company, CustomerId",
       "postgres": "SELECT CustomerId, Company FROM Customer WHERE CustomerId <= 20 "
                   "ORDER BY Company NULLS LAST, CustomerId"},
      "SELECT CustomerId, Company FROM Customer WHERE CustomerId <= 20 ORDER BY Company, CustomerId",
      "SELECT customer_id, company FROM customer WHERE customer_id <= 20 ORDER BY company, customer_id"),
    Q("string_functions",
      "SELECT CustomerId, FirstName || ' ' || UPPER(LastName), LOWER(Email), SUBSTR(Phone, 1, 7), "
      "REPLACE(Country, 'a', '4'), SUBSTR(City, 1, 3), TRIM('  ' || State || '  ') FROM Customer "
      "WHERE CustomerId <= 15 ORDER BY CustomerId",
      "SELECT CustomerId, CONCAT(FirstName, ' ', UPPER(LastName)), LOWER(Email), SUBSTRING(Phone, 1, 7), "
      "REPLACE(Country, 'a', '4'), LEFT(City, 3), TRIM(CONCAT('  ', State, '  ')) FROM Customer "
      "WHERE CustomerId <= 15 ORDER BY CustomerId",
      "SELECT customer_id, first_name || ' ' || UPPER(last_name), LOWER(email), SUBSTRING(phone FROM 1 FOR 7), "
      "REPLACE(country, 'a', '4'), LEFT(city, 3), TRIM('  ' || state || '  ') FROM customer "
      "WHERE customer_id <= 15 ORDER BY customer_id"),
    Q("string_length_chars",
      "SELECT CustomerId, City, length(City) FROM Customer WHERE CustomerId <= 20 ORDER BY CustomerId",
      "SELECT CustomerId, City, CHAR_LENGTH(City) FROM Customer WHERE CustomerId <= 20 ORDER BY CustomerId",
      "SELECT customer_id, city, length(city) FROM customer WHERE customer_id <= 20 ORDER BY customer_id"),
    Q("string_length_bytes",
      # MySQL LENGTH() and PostgreSQL octet_length() count UTF-8 bytes: 'São José dos Campos' is 21.
      "SELECT CustomerId, City, length(CAST(City AS BLOB)) FROM Customer WHERE CustomerId <= 20 "
      "ORDER BY CustomerId",
      "SELECT CustomerId, City, LENGTH(City) FROM Customer WHERE CustomerId <= 20 ORDER BY CustomerId",
      "SELECT customer_id, city, octet_length(city) FROM customer WHERE customer_id <= 20 ORDER BY customer_id",
      xfail={"postgres": "BUG (sql/postgres/functions.py): octet_length(text) is sent to DuckDB unchanged; DuckDB has it "
                         "for BLOB only (UndefinedFunction); needs strlen()"}),
    Q("like_pattern",
      # MySQL's default collation (utf8mb4_0900_ai_ci) compares case-insensitively; PostgreSQL does not.
      {"mysql": "SELECT TrackId, Name FROM Track WHERE Name LIKE '%love%' ORDER BY TrackId",
       "postgres": "SELECT TrackId, Name FROM Track WHERE Name GLOB '*love*' ORDER BY TrackId"},
      "SELECT TrackId, Name FROM Track WHERE Name LIKE '%love%' ORDER BY TrackId",
      "SELECT track_id, name FROM track WHERE name LIKE '%love%' ORDER BY track_id"),
    Q("case_insensitive_match",
      "SELECT TrackId, Name FROM Track WHERE Name LIKE '%love%' ORDER BY TrackId",
      "SELECT TrackId, Name FROM Track WHERE LOWER(Name) LIKE '%love%' ORDER BY TrackId",
      "SELECT track_id, name FROM track WHERE name ILIKE '%love%' ORDER BY track_id"),
    Q("date_part_per_year",
      "SELECT CAST(strftime('%Y', InvoiceDate) AS INTEGER) AS y, COUNT(*), SUM(Total) FROM Invoice "
      "GROUP BY y ORDER BY y",
      "SELECT YEAR(InvoiceDate) AS y, COUNT(*), SUM(Total) FROM Invoice GROUP BY YEAR(InvoiceDate) ORDER BY y",
      "SELECT EXTRACT(YEAR FROM invoice_date) AS y, COUNT(*), SUM(total) FROM invoice "
      "GROUP BY EXTRACT(YEAR FROM invoice_date) ORDER BY y"),
    Q("date_format_and_range",
      "SELECT strftime('%Y-%m', InvoiceDate) AS month, COUNT(*), SUM(Total) FROM Invoice "
      "WHERE InvoiceDate >= '2022-01-01' AND InvoiceDate < '2023-01-01' GROUP BY month ORDER BY month",
      "SELECT DATE_FORMAT(InvoiceDate, '%Y-%m') AS month, COUNT(*), SUM(Total) FROM Invoice "
      "WHERE InvoiceDate >= '2022-01-01' AND InvoiceDate < '2023-01-01' GROUP BY month ORDER BY month",
      "SELECT to_char(invoice_date, 'YYYY-MM') AS month, COUNT(*), SUM(total) FROM invoice "
      "WHERE invoice_date >= '2022-01-01' AND invoice_date < '2023-01-01' GROUP BY month ORDER BY month"),
    Q("date_arithmetic",
      "SELECT EmployeeId, CAST(julianday('2024-01-01') - julianday(HireDate) AS INTEGER), "
      "datetime(HireDate, '+90 days'), date(BirthDate, '-1 month') FROM Employee ORDER BY EmployeeId",
      "SELECT EmployeeId, DATEDIFF('2024-01-01', HireDate), DATE_ADD(HireDate, INTERVAL 90 DAY), "
      "DATE(DATE_SUB(BirthDate, INTERVAL 1 MONTH)) FROM Employee ORDER BY EmployeeId",
      "SELECT employee_id, DATE '2024-01-01' - hire_date::date, hire_date + INTERVAL '90 days', "
      "(birth_date - INTERVAL '1 month')::date FROM employee ORDER BY employee_id"),
    Q("age_in_whole_years",
      "SELECT EmployeeId, (CAST(strftime('%Y', HireDate) AS INTEGER) - CAST(strftime('%Y', BirthDate) AS INTEGER)) "
      "- (strftime('%m-%d', HireDate) < strftime('%m-%d', BirthDate)) FROM Employee ORDER BY EmployeeId",
      "SELECT EmployeeId, TIMESTAMPDIFF(YEAR, BirthDate, HireDate) FROM Employee ORDER BY EmployeeId",
      "SELECT employee_id, date_part('year', age(hire_date, birth_date)) FROM employee ORDER BY employee_id"),
    Q("day_of_week",
      # MySQL DAYOFWEEK: 1 = Sunday ... 7 = Saturday; PostgreSQL EXTRACT(DOW): 0 = Sunday.
      "SELECT InvoiceId, CAST(strftime('%w', InvoiceDate) AS INTEGER) + 1 FROM Invoice WHERE InvoiceId <= 10 "
      "ORDER BY InvoiceId",
      "SELECT InvoiceId, DAYOFWEEK(InvoiceDate) FROM Invoice WHERE InvoiceId <= 10 ORDER BY InvoiceId",
      "SELECT invoice_id, EXTRACT(DOW FROM invoice_date) + 1 FROM invoice WHERE invoice_id <= 10 "
      "ORDER BY invoice_id"),
    Q("min_max_dates",
      "SELECT (SELECT MIN(InvoiceDate) FROM Invoice), (SELECT MAX(InvoiceDate) FROM Invoice), "
      "(SELECT MAX(BirthDate) FROM Employee)",
      "SELECT (SELECT MIN(InvoiceDate) FROM Invoice), (SELECT MAX(InvoiceDate) FROM Invoice), "
      "(SELECT MAX(BirthDate) FROM Employee)",
      "SELECT (SELECT MIN(invoice_date) FROM invoice), (SELECT MAX(invoice_date) FROM invoice), "
      "(SELECT MAX(birth_date) FROM employee)"),
    Q("case_buckets",
      "SELECT CASE WHEN Milliseconds < 180000 THEN 'short' WHEN Milliseconds < 300000 THEN 'medium' "
      "ELSE 'long' END AS bucket, COUNT(*), MIN(Milliseconds), MAX(Milliseconds) FROM Track "
      "GROUP BY bucket ORDER BY MIN(Milliseconds)",
      "SELECT CASE WHEN Milliseconds < 180000 THEN 'short' WHEN Milliseconds < 300000 THEN 'medium' "
      "ELSE 'long' END AS bucket, COUNT(*), MIN(Milliseconds), MAX(Milliseconds) FROM Track "
      "GROUP BY bucket ORDER BY MIN(Milliseconds)",
      "SELECT CASE WHEN milliseconds < 180000 THEN 'short' WHEN milliseconds < 300000 THEN 'medium' "
      "ELSE 'long' END AS bucket, COUNT(*), MIN(milliseconds), MAX(milliseconds) FROM track "
      "GROUP BY bucket ORDER BY MIN(milliseconds)"),
    Q("distinct_and_count_distinct",
      "SELECT DISTINCT BillingCountry, (SELECT COUNT(DISTINCT BillingState) FROM Invoice) FROM Invoice "
      "WHERE BillingState IS NOT NULL ORDER BY BillingCountry",
      "SELECT DISTINCT BillingCountry, (SELECT COUNT(DISTINCT BillingState) FROM Invoice) FROM Invoice "
      "WHERE BillingState IS NOT NULL ORDER BY BillingCountry",
      "SELECT DISTINCT billing_country, (SELECT COUNT(DISTINCT billing_state) FROM invoice) FROM invoice "
      "WHERE billing_state IS NOT NULL ORDER BY billing_country"),
    Q("union_and_union_all",
      "SELECT FirstName, LastName, 'employee' AS kind FROM Employee WHERE City = 'Calgary' UNION "
      "SELECT FirstName, LastName, 'customer' FROM Customer WHERE Country = 'Canada' UNION "
      "SELECT FirstName, LastName, 'employee' FROM Employee WHERE Title LIKE 'Sales%' "
      "ORDER BY LastName, FirstName, kind",
      "SELECT FirstName, LastName, 'employee' AS kind FROM Employee WHERE City = 'Calgary' UNION "
      "SELECT FirstName, LastName, 'customer' FROM Customer WHERE Country = 'Canada' UNION "
      "SELECT FirstName, LastName, 'employee' FROM Employee WHERE Title LIKE 'Sales%' "
      "ORDER BY LastName, FirstName, kind",
      "SELECT first_name, last_name, 'employee' AS kind FROM employee WHERE city = 'Calgary' UNION "
      "SELECT first_name, last_name, 'customer' FROM customer WHERE country = 'Canada' UNION "
      "SELECT first_name, last_name, 'employee' FROM employee WHERE title LIKE 'Sales%' "
      "ORDER BY last_name, first_name, kind"),
    Q("union_all_keeps_duplicates",
      "SELECT (SELECT COUNT(*) FROM (SELECT Country FROM Customer UNION ALL SELECT Country FROM Employee) AS a), "
      "(SELECT COUNT(*) FROM (SELECT Country FROM Customer UNION SELECT Country FROM Employee) AS b)",
      "SELECT (SELECT COUNT(*) FROM (SELECT Country FROM Customer UNION ALL SELECT Country FROM Employee) AS a), "
      "(SELECT COUNT(*) FROM (SELECT Country FROM Customer UNION SELECT Country FROM Employee) AS b)",
      "SELECT (SELECT COUNT(*) FROM (SELECT country FROM customer UNION ALL SELECT country FROM employee) AS a), "
      "(SELECT COUNT(*) FROM (SELECT country FROM customer UNION SELECT country FROM employee) AS b)"),
    Q("string_aggregate",
      "SELECT Name, group_concat(g, '|') FROM (SELECT DISTINCT m.MediaTypeId, m.Name, g.Name AS g FROM Track t "
      "JOIN MediaType m ON m.MediaTypeId = t.MediaTypeId JOIN Genre g ON g.GenreId = t.GenreId "
      "ORDER BY m.MediaTypeId, g.Name) GROUP BY MediaTypeId, Name ORDER BY MediaTypeId",
      "SELECT m.Name, GROUP_CONCAT(DISTINCT g.Name ORDER BY g.Name SEPARATOR '|') FROM Track t "
      "JOIN MediaType m ON m.MediaTypeId = t.MediaTypeId JOIN Genre g ON g.GenreId = t.GenreId "
      "GROUP BY m.MediaTypeId, m.Name ORDER BY m.MediaTypeId",
      "SELECT m.name, string_agg(DISTINCT g.name, '|' ORDER BY g.name) FROM track t "
      "JOIN media_type m ON m.media_type_id = t.media_type_id JOIN genre g ON g.genre_id = t.genre_id "
      "GROUP BY m.media_type_id, m.name ORDER BY m.media_type_id"),
    Q("integer_division",
      # MySQL: DIV is integer division. PostgreSQL: integer / integer truncates (SQLite too).
      "SELECT TrackId, Milliseconds / 60000, Milliseconds % 60000 FROM Track WHERE TrackId <= 8 ORDER BY TrackId",
      "SELECT TrackId, Milliseconds DIV 60000, Milliseconds MOD 60000 FROM Track WHERE TrackId <= 8 "
      "ORDER BY TrackId",
      "SELECT track_id, milliseconds / 60000, milliseconds % 60000 FROM track WHERE track_id <= 8 "
      "ORDER BY track_id"),
    Q("exact_division",
      # MySQL: / of integers gives a DECIMAL with div_precision_increment (4) more digits: 5.7287.
      # PostgreSQL: integer / numeric is numeric.
      "SELECT TrackId, ROUND(Milliseconds / 60000.0, 4) FROM Track WHERE TrackId <= 8 ORDER BY TrackId",
      "SELECT TrackId, Milliseconds / 60000 FROM Track WHERE TrackId <= 8 ORDER BY TrackId",
      "SELECT track_id, ROUND(milliseconds / 60000.0, 4) FROM track WHERE track_id <= 8 ORDER BY track_id",
      xfail={"mysql": "BUG (sql/mysql/functions.py): MySQL's / returns DECIMAL rounded to div_precision_increment=4 "
                      "digits (5.7287); aurora_lite returns the double 5.72865",
             "postgres": "BUG (sql/postgres/rewrite.py): integer / numeric is exact numeric in PostgreSQL "
                         "(ROUND(230619 / 60000.0, 4) = 3.8437); DuckDB divides DECIMALs as DOUBLE "
                         "(3.84364999.. rounds to 3.8436)"}),
    Q("aggregate_avg_rounded",
      "SELECT MediaTypeId, COUNT(*), ROUND(AVG(Milliseconds) / 1000, 2), ROUND(AVG(UnitPrice), 2), "
      "SUM(Bytes) FROM Track GROUP BY MediaTypeId ORDER BY MediaTypeId",
      "SELECT MediaTypeId, COUNT(*), ROUND(AVG(Milliseconds) / 1000, 2), ROUND(AVG(UnitPrice), 2), "
      "SUM(Bytes) FROM Track GROUP BY MediaTypeId ORDER BY MediaTypeId",
      "SELECT media_type_id, COUNT(*), ROUND(AVG(milliseconds) / 1000, 2), ROUND(AVG(unit_price), 2), "
      "SUM(bytes) FROM track GROUP BY media_type_id ORDER BY media_type_id"),
    Q("coalesce_nullif",
      "SELECT CustomerId, COALESCE(Company, State, 'n/a'), NULLIF(Country, 'USA'), IFNULL(Fax, '-') "
      "FROM Customer WHERE CustomerId <= 25 ORDER BY CustomerId",
      "SELECT CustomerId, COALESCE(Company, State, 'n/a'), NULLIF(Country, 'USA'), IFNULL(Fax, '-') "
      "FROM Customer WHERE CustomerId <= 25 ORDER BY CustomerId",
      "SELECT customer_id, COALESCE(company, state, 'n/a'), NULLIF(country, 'USA'), COALESCE(fax, '-') "
      "FROM customer WHERE customer_id <= 25 ORDER BY customer_id"),
    Q("cast_to_text_and_number",
      "SELECT InvoiceId, printf('%.2f', Total), CAST('42' AS INTEGER) + InvoiceId FROM Invoice "
      "WHERE InvoiceId <= 6 ORDER BY InvoiceId",
      "SELECT InvoiceId, CAST(Total AS CHAR), CAST('42' AS SIGNED) + InvoiceId FROM Invoice "
      "WHERE InvoiceId <= 6 ORDER BY InvoiceId",
      "SELECT invoice_id, CAST(total AS TEXT), CAST('42' AS INTEGER) + invoice_id FROM invoice "
      "WHERE invoice_id <= 6 ORDER BY invoice_id"),
    Q("positional_parameters",
      "SELECT TrackId, Name, Milliseconds FROM Track WHERE GenreId = ? AND Milliseconds > ? "
      "ORDER BY TrackId LIMIT ?",
      "SELECT TrackId, Name, Milliseconds FROM Track WHERE GenreId = %s AND Milliseconds > %s "
      "ORDER BY TrackId LIMIT %s",
      "SELECT track_id, name, milliseconds FROM track WHERE genre_id = %s AND milliseconds > %s "
      "ORDER BY track_id LIMIT %s",
      params=(2, 400000, 10)),
    Q("named_parameters_and_percent",
      "SELECT CustomerId, Email FROM Customer WHERE Country = :country AND Email LIKE '%.br' ORDER BY CustomerId",
      "SELECT CustomerId, Email FROM Customer WHERE Country = %(country)s AND Email LIKE '%%.br' "
      "ORDER BY CustomerId",
      "SELECT customer_id, email FROM customer WHERE country = %(country)s AND email LIKE '%%.br' "
      "ORDER BY customer_id",
      params={"country": "Brazil"}),
]


# ---------------------------------------------------------------- normalisation
def norm(value: Any) -> Any:
    """A value in a form both sides agree on (see the module docstring)."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, (decimal.Decimal, float)):
        return round(float(value), 6)
    if isinstance(value, datetime.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, datetime.date):
        return value.isoformat()
    return value


def expected_value(value: Any, dialect: str) -> Any:
    """A reference value as the engine must return it (MySQL reads backslashes in the scripts' literals)."""
    if dialect == "mysql" and isinstance(value, str):
        value = mysql_literal(value)
    return norm(value)


@pytest.fixture(scope="module")
def reference(chinook_sqlite: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """The SQLite reference with Unicode-aware UPPER/LOWER (SQLite's own fold ASCII only, the servers don't)."""
    chinook_sqlite.create_function("upper", 1, lambda s: s.upper() if isinstance(s, str) else s, deterministic=True)
    chinook_sqlite.create_function("lower", 1, lambda s: s.lower() if isinstance(s, str) else s, deterministic=True)
    yield chinook_sqlite


@pytest.fixture(scope="module")
def query_connection(chinook: Loaded) -> Iterator[al.Connection]:
    """An autocommit connection per engine, so one failing query cannot abort the next one's transaction."""
    connection = chinook.connect(autocommit=True)
    yield connection
    connection.close()


def run(connection: al.Connection, sql: str, params: Any) -> list[tuple[Any, ...]]:
    cursor = connection.cursor()
    cursor.execute(sql, params)
    return cursor.fetchall()


def _id(q: Q) -> str:
    return q.name


@pytest.mark.parametrize("q", QUERIES, ids=_id)
def test_query_matches_reference(q: Q, chinook: Loaded, query_connection: al.Connection,
                                 reference: sqlite3.Connection, request: pytest.FixtureRequest) -> None:
    if chinook.dialect in q.xfail:
        request.applymarker(pytest.mark.xfail(reason=q.xfail[chinook.dialect], strict=True))
    params = q.params
    ref_params = params if params is not None else ()
    expected = [tuple(expected_value(v, chinook.dialect) for v in row)
                for row in reference.execute(q.reference(chinook.dialect), ref_params).fetchall()]
    assert expected, f"the reference query of {q.name} returns no rows: it would test nothing"
    got = [tuple(norm(v) for v in row) for row in run(query_connection, q.text(chinook.dialect), params)]
    assert len(got) == len(expected), f"{len(got)} rows, expected {len(expected)}: {got[:3]} vs {expected[:3]}"
    for i, (g, e) in enumerate(zip(got, expected)):
        assert g == e, f"row {i}: got {g!r}, expected {e!r}"


def test_query_count() -> None:
    assert len(QUERIES) >= 25


@pytest.mark.parametrize("table", TABLES)
def test_table_matches_reference(table: str, chinook: Loaded, query_connection: al.Connection,
                                 chinook_sqlite: sqlite3.Connection) -> None:
    """Every row the script loaded equals the SQLite file's row, column by column."""
    columns = [r[1] for r in chinook_sqlite.execute(f"PRAGMA table_info({table})")]
    order = ", ".join(columns)
    expected = [tuple(expected_value(v, chinook.dialect) for v in row)
                for row in chinook_sqlite.execute(f"SELECT {order} FROM {table} ORDER BY {order}")]
    d = chinook.dialect
    mine = ", ".join(ident(c, d) for c in columns)
    got = [tuple(norm(v) for v in row)
           for row in run(query_connection, f"SELECT {mine} FROM {ident(table, d)} ORDER BY {mine}", None)]
    assert len(got) == len(expected)
    assert [i for i, (g, e) in enumerate(zip(got, expected)) if g != e] == [], \
        next((g, e) for g, e in zip(got, expected) if g != e)


def test_load_statement_count(chinook: Loaded) -> None:
    # 3 database statements (DROP/CREATE DATABASE, USE or \c), 11 tables, 11 foreign keys, 11 indexes, 24 INSERTs.
    assert chinook.report.statements == 60
    assert chinook.report.executes == 60
