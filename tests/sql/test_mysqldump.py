"""What a mysqldump file sends: executable comments, LOCK TABLES, DISABLE KEYS, sql_mode, all through run_script."""
from __future__ import annotations

import threading

import aurora_lite as al
from aurora_lite.sql.script import run_script

DUMP = """\
/*!40101 SET @OLD_CHARACTER_SET_CLIENT=@@CHARACTER_SET_CLIENT */;
/*!40101 SET NAMES utf8mb4 */;
/*!40014 SET @OLD_FOREIGN_KEY_CHECKS=@@FOREIGN_KEY_CHECKS, FOREIGN_KEY_CHECKS=0 */;
/*!40101 SET @OLD_SQL_MODE=@@SQL_MODE, SQL_MODE='NO_AUTO_VALUE_ON_ZERO' */;
DROP TABLE IF EXISTS `users`;
CREATE TABLE `users` (
  `id` int NOT NULL AUTO_INCREMENT,
  `email` varchar(255) COLLATE utf8mb4_unicode_ci NOT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `users_email_unique` (`email`)
) ENGINE=InnoDB AUTO_INCREMENT=3 DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
LOCK TABLES `users` WRITE;
/*!40000 ALTER TABLE `users` DISABLE KEYS */;
INSERT INTO `users` VALUES (0,'root@x'),(1,'a@x'),(2,'b@x');
/*!40000 ALTER TABLE `users` ENABLE KEYS */;
UNLOCK TABLES;
/*!90000 SET @from_the_future = 1 */;
/*!80000 SET @from_mysql_8 = 1 */;
/*!40101 SET SQL_MODE=@OLD_SQL_MODE */;
/*!40014 SET FOREIGN_KEY_CHECKS=@OLD_FOREIGN_KEY_CHECKS */;
"""


def test_a_mysqldump_file_loads_as_mysql_loads_it():
    with al.Cluster("aurora-mysql") as cluster:
        connection = cluster.connect(autocommit=True)
        run_script(connection, DUMP)
        cursor = connection.cursor()
        cursor.execute("SELECT id, email FROM users ORDER BY id")
        assert cursor.fetchall() == [(0, "root@x"), (1, "a@x"), (2, "b@x")]  # NO_AUTO_VALUE_ON_ZERO kept the 0
        cursor.execute("SELECT @from_the_future, @from_mysql_8, @@foreign_key_checks")
        assert cursor.fetchone() == (None, 1, 1)  # a comment for a newer server is skipped; settings restored
        cursor.execute("INSERT INTO users (email) VALUES ('c@x')")
        assert cursor.lastrowid == 3
        cursor.execute("INSERT INTO users VALUES (0, 'd@x')")  # sql_mode is back: 0 generates again
        assert cursor.lastrowid == 4


def test_lock_tables_excludes_another_sessions_lock_tables_until_unlock():
    with al.Cluster("aurora-mysql") as cluster:
        a, b = cluster.connect(), cluster.connect()
        a.cursor().execute("CREATE TABLE t (id INT PRIMARY KEY)")
        a.cursor().execute("LOCK TABLES t WRITE, `t` AS alias READ")
        locked: list = []
        other = threading.Thread(target=lambda: (b.cursor().execute("LOCK TABLES t READ"), locked.append(True)))
        other.start()
        assert locked == []
        a.cursor().execute("UNLOCK TABLES")
        other.join(10)
        assert locked == [True]
        b.close()  # a session's table locks end with it
        a.cursor().execute("LOCK TABLES t WRITE")
